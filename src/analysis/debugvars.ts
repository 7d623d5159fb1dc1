// What debug info says about IR values: the variables `#dbg_value` /
// `llvm.dbg.value` bind to them (or place inside their objects), a function's source signature, and a
// global's declared type. Shared by type recovery, points-to and legal sets.
import type { Metadata } from '../ir/metadata.js';
import type { Function, GlobalVariable, Value } from '../ir/values.js';
import { enclosingSubprogram } from '../ir/debuginfo.js';
import { calleeOf } from './flow.js';

/** A source variable bound to a value. */
export interface BoundVariable {
  readonly name: string;
  readonly type: Metadata | null;
  /** The C function declaring the variable (an inlined callee's name for its locals). */
  readonly function?: string;
  /** Position of the binding in the function's text (bindings of all values share one order). */
  readonly order?: number;
}

type Md = Metadata | null | undefined;

/**
 * Every record that describes a value (`#dbg_value`, `#dbg_assign`, `#dbg_declare_value`) and
 * every `llvm.dbg.value` call (kind `value`) of a function, in textual order.
 */
function valueRecords(f: Function, visit: (kind: 'value' | 'assign' | 'declare_value', v: Value, variable: Md, expr: Md) => void): void {
  for (const b of f.blocks) {
    for (const i of b.instructions) {
      for (const r of i.debugRecords ?? []) {
        if ((r.kind === 'value' || r.kind === 'assign' || r.kind === 'declare_value') && r.location?.kind === 'value')
          visit(r.kind, r.location.value, r.variable, r.expression);
      }
      if (i.opcode === 'call' && calleeOf(i)?.name === 'llvm.dbg.value') {
        const [v, variable, expr] = i.args;
        if (v?.kind === 'metadata' && v.metadata?.kind === 'value' && variable?.kind === 'metadata' && expr?.kind === 'metadata')
          visit('value', v.metadata.value, variable.metadata, expr.metadata);
      }
    }
  }
}

/**
 * The variables each value of a function is bound to, by debug records and
 * `llvm.dbg.value` calls whose expression is empty (an offset or a fragment
 * describes something other than the value itself), in textual order.
 */
export function boundVariables(f: Function): Map<Value, BoundVariable[]> {
  const map = new Map<Value, BoundVariable[]>();
  let order = 0;
  const note = (v: Value, variable: Md, expr: Md): void => {
    if (variable?.kind !== 'DILocalVariable') return;
    if (expr && expr.kind === 'DIExpression' && expr.elements.length) return;
    let list = map.get(v);
    if (!list) {
      list = [];
      map.set(v, list);
    }
    list.push({ name: variable.name, type: variable.type, function: enclosingSubprogram(variable.scope)?.name, order: order++ });
  };
  valueRecords(f, (_kind, v, variable, expr) => note(v, variable, expr));
  return map;
}

/**
 * Pointers debug info places inside a variable's object: `#dbg_value(ptr %p, !var,
 * !DIExpression(DW_OP_constu, N, DW_OP_minus, DW_OP_stack_value))` says `var = p - N`, so `p`
 * points N bytes into the object `var` points to (a list cursor whose `container_of` the optimizer
 * folded away: `ift` of `list_for_each_entry(ift, …, tmp_list)` described through `&ift->tmp_list`).
 * Value → the variable's (pointer) type. Kept apart from {@link boundVariables}: the value is not
 * the variable, so a field offset from it is not the variable's field offset.
 */
export function containerBindings(f: Function): Map<Value, Metadata | null> {
  const map = new Map<Value, Metadata | null>();
  const note = (v: Value, variable: Md, expr: Md): void => {
    if (variable?.kind !== 'DILocalVariable' || expr?.kind !== 'DIExpression') return;
    const e = expr.elements;
    if (e.length !== 4 || e[0] !== 'DW_OP_constu' || e[2] !== 'DW_OP_minus' || e[3] !== 'DW_OP_stack_value') return;
    if (!map.has(v)) map.set(v, variable.type);
  };
  valueRecords(f, (kind, v, variable, expr) => {
    if (kind === 'value') note(v, variable, expr);
  });
  return map;
}

/**
 * Variables debug info places at a constant offset from a value: `#dbg_value(ptr %dev, !tp,
 * !DIExpression(DW_OP_plus_uconst, 2304, DW_OP_stack_value))` says `tp = dev + 2304`, and a
 * variable bound to `getelementptr i8, ptr %dev, i64 2304` says the same. What a driver's
 * `netdev_priv(dev)` leaves behind: the private area past `struct net_device` is a `struct tg3`.
 */
export function offsetBindings(f: Function): { base: Value; offset: number; type: Metadata | null }[] {
  const out: { base: Value; offset: number; type: Metadata | null }[] = [];
  valueRecords(f, (kind, v, variable, expr) => {
    if (kind !== 'value' || variable?.kind !== 'DILocalVariable' || expr?.kind !== 'DIExpression') return;
    const e = expr.elements;
    if (e.length === 3 && e[0] === 'DW_OP_plus_uconst' && typeof e[1] === 'number' && e[2] === 'DW_OP_stack_value') {
      out.push({ base: v, offset: e[1], type: variable.type });
      return;
    }
    if (e.length || v.kind !== 'instruction' || v.opcode !== 'getelementptr') return;
    const off = v.operands[1];
    if (v.operands.length !== 2 || off?.kind !== 'int' || v.sourceElementType?.kind !== 'int' || v.sourceElementType.bits !== 8) return;
    out.push({ base: v.operands[0]!, offset: Number(off.value), type: variable.type });
  });
  return out;
}

/** The debug types of a function's return value and parameters (`[ret, p0, p1…]`), from its DISubprogram. */
export function signatureTypes(f: Function): (Metadata | null)[] | undefined {
  const sp = f.subprogram;
  if (sp?.kind !== 'DISubprogram' || sp.type?.kind !== 'DISubroutineType') return undefined;
  const ts = sp.type.types;
  return ts?.kind === 'tuple' ? ts.operands : undefined;
}

/** A global's declared debug type (its DIGlobalVariable's `type`), or null. */
export function globalDebugType(g: GlobalVariable | undefined): Metadata | null {
  if (!g) return null;
  for (const [k, v] of g.metadata) {
    if (k === 'dbg' && v?.kind === 'DIGlobalVariableExpression' && v.var?.kind === 'DIGlobalVariable') return v.var.type;
  }
  return null;
}
