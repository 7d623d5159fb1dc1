// Legal sets (DESIGN.md §3): the regions a write's address may point into,
// from the points-to solution, with the reason for every widening. "Any
// object of type T" expands to every allocation site and global whose type is
// T or embeds a T, every typeless buffer site, and the stack — with summaries
// of the whole program, only the sites a lost pointer may reach. The record
// types come from the IR's debug info and, when the kernel's BTF is given,
// from the whole kernel: a T embedded in a type no analyzed TU declares (a
// `netlink_callback` inside `netlink_sock`) still names its container.
import type { BtfType, BtfTypes } from '../btf/index.js';
import type { DICompositeType } from '../ir/debuginfo.js';
import type { Metadata } from '../ir/metadata.js';
import type { Argument, Function, GlobalVariable, Value } from '../ir/values.js';
import { emptyLegalSet, legalSetSize } from '../policy/legal-set.js';
import type { AllocationSite, Cache, LegalSet, Widening } from '../policy/schema.js';
import { type DIType, isRecord, membersOf, pointeeOf, pointerTypesAt, sizeOf, stripQualifiers, typeName } from './ditypes.js';
import { containerBindings, globalDebugType } from './debugvars.js';
import { isNullConstant, origins, originsUntil, returnedValues, stripCasts } from './flow.js';
import type { AbstractObject, PointsTo } from './pointsto.js';
import { FieldTyper } from './icalls.js';
import { Program, type ProgramModule } from './program.js';
import type { RecordFacts } from './external.js';
import type { SkbHeads } from './skbheads.js';
import { UNKNOWN } from './layout.js';
import { isPageDescriptor } from './pages.js';
import { framesOf } from './sites.js';

/** A BTF struct or union by the name a developer reads (`struct sk_buff`), as debug info names it. */
const btfRecordName = (t: BtfType): string => `${t.kind === 'UNION' ? 'union' : 'struct'} ${t.name}`;

/** {@link recordPointeesAt} for a BTF record: `bit` from its start, nested records looked into. */
function btfPointeesAt(btf: BtfTypes, t: BtfType, bit: number, out: Set<string>, depth: number): Set<string> {
  for (const m of t.members ?? []) {
    const mt = btf.resolve(m.type);
    if (!mt) continue;
    if (m.bitOffset === bit && mt.kind === 'PTR' && mt.type !== undefined) {
      const target = btf.resolve(mt.type);
      if ((target?.kind === 'STRUCT' || target?.kind === 'UNION') && target.name) out.add(btfRecordName(target));
    }
    if ((mt.kind === 'STRUCT' || mt.kind === 'UNION') && depth < 8 && bit >= m.bitOffset && bit < m.bitOffset + (mt.size ?? 0) * 8)
      btfPointeesAt(btf, mt, bit - m.bitOffset, out, depth + 1);
  }
  return out;
}

/** Pointer slots are 8 bytes (x86-64, the kernels kcompart reads). */
const POINTER_BYTES = 8;

/**
 * The records that a pointer member lying at byte `offset` of record `t` points to, by name: its
 * own members and those of the records nested in it there (any member of a union), not array
 * elements ({@link pointerTypesAt}).
 */
function recordPointeesAt(t: DIType, offset: number): Map<string, DICompositeType> {
  const out = new Map<string, DICompositeType>();
  for (const p of pointerTypesAt(t, offset, { arrays: false, maxDepth: 9 })) {
    const target = pointeeOf(p);
    if (target && isRecord(target)) out.set(typeName(target), target);
  }
  return out;
}

/**
 * The offsets of the links a record T starts with: `T *` members at 0, 8, … (`linkAt`; `sk_buff`'s
 * `next` and `prev`). A record poses as the sentinel of a circular list of T when these are not
 * empty and it has `T *` members at each of them. Empty when T's members are not known (a
 * declaration).
 */
function leadingLinks(linkAt: (offset: number) => boolean): number[] {
  const links: number[] = [];
  for (let o = 0; links.length < 8 && linkAt(o); o += POINTER_BYTES) links.push(o);
  return links;
}

/**
 * The {@link RecordFacts} of a DWARF record type. A record is a head of T (`headOf`) when it can pose
 * as the sentinel of a circular list of T: T starts with links to its own type and the record has
 * `T *` members at the same offsets (`sk_buff_head.next` / `.prev` mirror `sk_buff.next` / `.prev`,
 * so the last skb's `next` is the head, cast). A record that merely starts with a `T *` (an
 * `ethnl_reply_data` holding its `net_device *`, a `dst_entry` its `dev`) is no T.
 */
export function recordFacts(t: DICompositeType): RecordFacts {
  const name = typeName(t);
  const size = sizeOf(t);
  const startsWith = new Set<string>();
  const headOf = new Set<string>();
  const embedsAt = new Map<string, [string, number]>();
  const visit = (m: Metadata | null, offset: number, depth: number): void => {
    const s = stripQualifiers(m);
    if (!s || depth > 8) return;
    if (s.kind === 'DICompositeType' && s.tag === 'DW_TAG_array_type') {
      visit(s.baseType, -1, depth + 1);
      return;
    }
    if (!isRecord(s)) return;
    const inner = typeName(s);
    embedsAt.set(`${inner}@${offset}`, [inner, offset]);
  };
  for (const m of membersOf(t)) {
    visit(m.type, m.offset, 0);
    const s = stripQualifiers(m.type);
    if (m.offset === 0 && s && isRecord(s)) startsWith.add(typeName(s));
  }
  for (const [tn, target] of recordPointeesAt(t, 0)) {
    const links = tn === name ? [] : leadingLinks((o) => recordPointeesAt(target, o).has(tn));
    if (links.length > 0 && links.every((o) => recordPointeesAt(t, o).has(tn))) headOf.add(tn);
  }
  const selfLinks = leadingLinks((o) => recordPointeesAt(t, o).has(name)).length * POINTER_BYTES;
  return {
    ...(selfLinks ? { selfLinks } : {}),
    name,
    ...(size ? { size } : {}),
    embeds: [...new Set([...embedsAt.values()].map(([inner]) => inner))],
    startsWith: [...startsWith],
    headOf: [...headOf],
    embedsAt: [...embedsAt.values()],
  };
}

/** For each struct type name, the names of the types that embed it (itself included), transitively. */
export class Containment {
  private readonly embeddedIn = new Map<string, Set<string>>();
  private readonly closure = new Map<string, Set<string>>();
  /** outer → the record types it starts with (members at offset 0). */
  private readonly startsWith = new Map<string, Set<string>>();
  private readonly prefixClosure = new Map<string, Set<string>>();
  /** T → the record types whose first member is a `T *` (list heads: sk_buff_head.next is a struct sk_buff *). */
  private readonly heads = new Map<string, Set<string>>();
  /** Record type name → its size in bytes (debug info). */
  private readonly sizes = new Map<string, number>();
  /** T → the bytes of the links to its own type it starts with (debug info, BTF): what a head mirrors. */
  private readonly selfLinks = new Map<string, number>();
  /** T → the record types with a member (nested, in an array) of type `T *` (debug info, BTF). */
  private readonly pointerHolders = new Map<string, Set<string>>();
  /** Whether the kernel's BTF was read: then {@link pointerHolders} knows every record of the kernel. */
  readonly wholeKernel: boolean;

  /**
   * @param records record relations of context code not read as modules (TU summaries).
   * @param btf the kernel's BTF: its record types join the IR's, so containers declared outside
   * the analyzed TUs are known too (the analysis is otherwise blind to them and a typed fallback
   * would refuse, say, a `netlink_callback` inside a `netlink_sock` allocated by `sk_prot_alloc`).
   */
  constructor(program: Program, btf?: BtfTypes, records: Iterable<RecordFacts> = []) {
    const seen = new Set<Metadata>();
    for (const pm of program.modules) {
      for (const md of pm.module.metadata) {
        if (md?.kind !== 'DICompositeType' || seen.has(md) || !isRecord(md)) continue;
        seen.add(md);
        this.addType(md);
      }
    }
    // records of code read only as summaries (external facts), as its modules would have given them
    for (const r of records) this.addRecord(r);
    this.wholeKernel = btf !== undefined;
    if (btf) {
      for (const r of btf.records()) if (r.name) this.addBtfRecord(btf, r);
      // a head poses as a T only when T starts with links to its own type and the head mirrors
      // them (recordFacts): BTF adds heads from the whole kernel, most of them records that merely
      // start with a pointer (a walk argument holding a `netlink_callback *`)
      const pointeesAt = (r: BtfType, offset: number): Set<string> => btfPointeesAt(btf, r, offset * 8, new Set(), 0);
      for (const [target, outers] of this.btfHeads) {
        const t = this.btfRecords.get(target);
        const links = t ? leadingLinks((at) => pointeesAt(t, at).has(target)) : [];
        if (links.length === 0) continue;
        if (!this.selfLinks.has(target)) this.selfLinks.set(target, links.length * POINTER_BYTES);
        for (const o of outers) {
          const r = this.btfRecords.get(o);
          if (r && links.every((at) => pointeesAt(r, at).has(target))) Containment.add(this.heads, target, o);
        }
      }
    }
  }

  /** BTF: T → records whose first member is a `T *`, before the link condition. */
  private readonly btfHeads = new Map<string, Set<string>>();
  /** BTF records by name (the first of a name). */
  private readonly btfRecords = new Map<string, BtfType>();

  private static add(map: Map<string, Set<string>>, key: string, value: string): void {
    let set = map.get(key);
    if (!set) {
      set = new Set();
      map.set(key, set);
    }
    set.add(value);
  }

  /**
   * One named BTF struct / union, with the same three relations as a DWARF record. Anonymous
   * records inside it are flattened into it (BTF gives them no name to stand for them).
   */
  private addBtfRecord(btf: BtfTypes, record: BtfType): void {
    const outer = btfRecordName(record);
    if (!this.btfRecords.has(outer)) this.btfRecords.set(outer, record);
    // no size from BTF: a typed fallback's foreign sizes admit whole dedicated caches by object size,
    // and the whole kernel's containers of a common T (a list_head) have nearly every size, which
    // would let in any dedicated cache (cred_jar at 176 bytes). A container known only from BTF is
    // admitted through the allocation sites that make it, not through the size of a cache.
    const visit = (t: BtfType, bitBase: number, depth: number): void => {
      for (const m of t.members ?? []) {
        const bit = bitBase + m.bitOffset;
        let mt = btf.resolve(m.type);
        // an array of T embeds T as much as one T does
        for (let n = 0; mt?.kind === 'ARRAY' && n < 8; n++) mt = btf.resolve(mt.array!.element);
        if (!mt) continue;
        if (mt.kind === 'STRUCT' || mt.kind === 'UNION') {
          if (!mt.name) {
            if (depth < 8) visit(mt, bit, depth + 1);
            continue;
          }
          const inner = btfRecordName(mt);
          Containment.add(this.embeddedIn, inner, outer);
          if (bit === 0 && btf.resolve(m.type)?.kind !== 'ARRAY') Containment.add(this.startsWith, outer, inner);
        } else if (mt.kind === 'PTR') {
          const target = mt.type === undefined ? undefined : btf.resolve(mt.type);
          if ((target?.kind === 'STRUCT' || target?.kind === 'UNION') && target.name) {
            const name = btfRecordName(target);
            Containment.add(this.pointerHolders, name, outer);
            if (name !== outer && bit === 0) Containment.add(this.btfHeads, name, outer);
          }
        }
      }
    };
    visit(record, 0, 0);
  }

  private addType(t: DICompositeType): void {
    this.addRecord(recordFacts(t));
    // its members of type `P *` (P a record), through anonymous records and arrays
    const outer = typeName(t);
    const visit = (r: Metadata | null, depth: number): void => {
      for (const m of membersOf(r)) {
        let mt: DIType = m.type;
        for (let n = 0; mt?.kind === 'DICompositeType' && mt.tag === 'DW_TAG_array_type' && n < 8; n++) mt = stripQualifiers(mt.baseType);
        const target = pointeeOf(mt);
        if (target && isRecord(target)) Containment.add(this.pointerHolders, typeName(target), outer);
        else if (mt && isRecord(mt) && !mt.name && depth < 8) visit(mt, depth + 1);
      }
    };
    visit(t, 0);
  }

  /** The record types holding a member of type `T *` ({@link pointerHolders}). */
  pointerHoldersOf(name: string): Set<string> {
    return this.pointerHolders.get(name) ?? new Set();
  }

  /** Adds one record's relations, from its debug type here or from a TU summary ({@link recordFacts}). */
  addRecord(r: RecordFacts): void {
    if (r.size) this.sizes.set(r.name, r.size);
    if (r.selfLinks) this.selfLinks.set(r.name, r.selfLinks);
    for (const inner of r.embeds) Containment.add(this.embeddedIn, inner, r.name);
    for (const first of r.startsWith) Containment.add(this.startsWith, r.name, first);
    for (const target of r.headOf) Containment.add(this.heads, target, r.name);
  }

  /**
   * Sentinel list heads that may pose as a T: record types whose first member is a `T *`
   * (`(struct sk_buff *)list` for a `struct sk_buff_head *list`: the last element's `next`
   * points at the head, so a `T *` may reach one and writes through it land there).
   */
  headsOf(name: string): Set<string> {
    return this.heads.get(name) ?? new Set();
  }

  /**
   * The bytes of the links to its own type T starts with (16 for `sk_buff`), the only bytes of a T
   * a head posing as one ({@link headsOf}) has: undefined when not known.
   */
  selfLinksOf(name: string): number | undefined {
    return this.selfLinks.get(name);
  }

  /**
   * Record types a C object starts with (C's first member, its first member, …): an allocation
   * typed as one of them may really be a C, allocated with a size only known at run time
   * (`sk_alloc` returns a `struct sock *` to a `tcp6_sock` of `prot->obj_size` bytes).
   */
  prefixesOf(name: string): Set<string> {
    let c = this.prefixClosure.get(name);
    if (c) return c;
    c = new Set();
    const work = [name];
    while (work.length && c.size < 1000) {
      for (const p of this.startsWith.get(work.pop()!) ?? [])
        if (!c.has(p)) {
          c.add(p);
          work.push(p);
        }
    }
    this.prefixClosure.set(name, c);
    return c;
  }

  /** A record type's size in bytes, when the IR's debug info gives one (BTF-only records have none). */
  sizeOf(name: string): number | undefined {
    return this.sizes.get(name);
  }

  /** Type names whose objects may contain a T (T first). */
  containersOf(name: string): Set<string> {
    let c = this.closure.get(name);
    if (c) return c;
    c = new Set([name]);
    const work = [name];
    while (work.length && c.size < 100_000) {
      for (const o of this.embeddedIn.get(work.pop()!) ?? [])
        if (!c.has(o)) {
          c.add(o);
          work.push(o);
        }
    }
    this.closure.set(name, c);
    return c;
  }
}

/** Builds legal sets from the points-to solution. */
export class LegalSets {
  private readonly sitesByType = new Map<string, AllocationSite[]>();
  private readonly globalsByType = new Map<string, string[]>();
  /** The program's globals of type `P *` (P a record), by P's name: slots a `P **` may point at. */
  private readonly pointerGlobals = new Map<string, string[]>();
  /** The program's static per-cpu variables (`DEFINE_PER_CPU`) by record type. */
  private readonly percpuGlobalsByType = new Map<string, string[]>();
  private readonly bufferSites: AllocationSite[];
  /** The catalogued caches (created outside the program) by the type of their objects. */
  private readonly cataloguedByType = new Map<string, string[]>();
  private readonly cataloguedSize = new Map<string, number>();

  constructor(
    private readonly program: Program,
    private readonly pts: PointsTo,
    sites: readonly AllocationSite[],
    private readonly containment: Containment,
    /** Globals of code outside the program (external facts): key → record type name. */
    externalGlobals?: ReadonlyMap<string, { typeName?: string; elementTypeName?: string }>,
    catalogue: readonly Cache[] = [],
    /** Types lost pointers by the fields they are loaded from; without it they widen to "any". */
    private readonly typer?: FieldTyper,
    /** Sites no lost pointer may point to (`EscapeFacts.confinedSites`): typed fallbacks leave them out. */
    private readonly confined: ReadonlySet<string> = new Set(),
    /** Which pointers point only into skb head buffers: their fallback is the run-time class `skb-head`. */
    private readonly skbHeads?: SkbHeads,
  ) {
    for (const c of catalogue) {
      if (c.objectSize !== undefined) this.cataloguedSize.set(c.name, c.objectSize);
      for (const t of c.objectTypes ?? []) {
        const l = this.cataloguedByType.get(t);
        if (l) l.push(c.name);
        else this.cataloguedByType.set(t, [c.name]);
      }
    }
    this.bufferSites = sites.filter((s) => s.type.kind === 'buffer');
    for (const s of sites) {
      // a buffer with a T header holds a T too: it is a buffer and a T's holder
      for (const name of s.type.header ? [s.type.name, s.type.header] : [s.type.name]) {
        let l = this.sitesByType.get(name);
        if (!l) {
          l = [];
          this.sitesByType.set(name, l);
        }
        l.push(s);
      }
    }
    for (const g of program.globalVariables()) {
      // a `P *` variable: a slot a `P **` may point at
      const pointee = pointeeOf(globalDebugType(g.value) ?? null);
      if (pointee && isRecord(pointee)) {
        const target = typeName(pointee);
        const slots = this.pointerGlobals.get(target);
        if (slots) slots.push(Program.keyOf(g.module, g.value));
        else this.pointerGlobals.set(target, [Program.keyOf(g.module, g.value)]);
      }
      const t = globalRecordType(g.value);
      if (!t) continue;
      const name = typeName(t);
      let l = this.globalsByType.get(name);
      if (!l) {
        l = [];
        this.globalsByType.set(name, l);
      }
      const key = Program.keyOf(g.module, g.value);
      l.push(key);
      if ((g.value.section ?? '').startsWith('.data..percpu')) {
        const p = this.percpuGlobalsByType.get(name);
        if (p) p.push(key);
        else this.percpuGlobalsByType.set(name, [key]);
      }
    }
    const own = new Set([...this.globalsByType.values()].flat());
    for (const [key, g] of externalGlobals ?? []) {
      const name = g.typeName ?? g.elementTypeName;
      if (!name || own.has(key)) continue;
      let l = this.globalsByType.get(name);
      if (!l) this.globalsByType.set(name, (l = []));
      l.push(key);
    }
  }

  /**
   * "Any object of R" for a lost pointer no variable types, by the record its address is a field
   * of: the declared type of the field it was loaded from (`idev->stats.icmpv6dev` is a
   * `struct icmpv6_mib_device *` because `struct inet6_dev` says so at that offset), an inlined
   * accessor's return type, the IR struct type of a GEP on it (multi-layer type analysis, as
   * indirect calls are typed). Undefined when nothing names a record (a byte buffer).
   */
  private recordOfField(pointer: Value, module: ProgramModule): AbstractObject | undefined {
    const fn = functionOf(pointer);
    const field = fn && this.typer?.fieldsAt(pointer, { fn, pm: module }, false)[0];
    return field ? this.pts.typeAnyOf(field.type) : undefined;
  }

  /**
   * "Any object of R" for a lost pointer computed from typed pointers by arithmetic the typing
   * does not see through (`u8 *data = trace->data + trace->remlen * 4 - …; data += 4` is a phi
   * of byte GEPs on `struct ioam6_trace_hdr *trace`): C keeps such a pointer inside the object
   * its base points into. The values it may be are walked through phis, selects, casts and GEPs;
   * each stops the walk where a record types it — a variable bound to it or placing it inside its
   * object (a list cursor: {@link containerBindings}), the field it is loaded from, for a
   * parameter what its callers pass ({@link recordsOfCallers}, `depth` calls deep so far), or else
   * the typed GEPs computed from it ({@link siblingRecords}). Undefined unless every branch ends
   * so: one byte buffer among them (`skb_put`'s result) leaves the pointer untyped.
   */
  private recordsOfOrigins(pointer: Value, module: ProgramModule, depth = 0): AbstractObject[] | undefined {
    const typed = (v: Value): AbstractObject | undefined => {
      const t = this.typedPointer(v) ?? this.containerRecord(v);
      return t?.kind === 'typeany' ? t : undefined;
    };
    const values = originsUntil(pointer, (v) => typed(v) !== undefined, ORIGINS_LIMIT);
    if (!values) return undefined;
    const out = new Set<AbstractObject>();
    for (const v of values) {
      // a null or undefined incoming value of a phi points nowhere a write could land
      if (isNullConstant(v)) continue;
      const t = typed(v) ?? this.recordOfField(v, module);
      if (t?.kind === 'typeany') {
        out.add(t);
        continue;
      }
      const passed = v.kind === 'argument' ? this.recordsOfCallers(v, depth) : undefined;
      if (passed) {
        for (const p of passed) out.add(p);
        continue;
      }
      const siblings = this.siblingRecords(v);
      if (!siblings.length) return undefined;
      for (const s of siblings) out.add(s);
    }
    return out.size ? [...out] : undefined;
  }

  /**
   * "Any object of R" for a lost parameter nothing types (`char *buf`, `loff_t *pos`) of a function
   * every caller of which the program holds: each caller's lost argument typed as that caller's own
   * write through it would be (`ndisc_mc_map(addr, neigh->ha, …)` passes a byte array inside a
   * `struct neighbour`), callers whose argument points-to resolves adding nothing (their objects
   * are in the parameter's set already). Undefined when a caller outside the program may pass
   * anything, or when one caller's argument stays untyped.
   */
  private recordsOfCallers(parameter: Value, depth: number): AbstractObject[] | undefined {
    if (depth >= CALLER_DEPTH) return undefined;
    const callers = this.pts.argumentsPassedAs(parameter);
    if (!callers) return undefined;
    const out: AbstractObject[] = [];
    for (const { value, module } of callers) {
      if (isNullConstant(value) || !this.isLost(value, module)) continue;
      const typed = this.recordsOfArgument(value, module, depth);
      if (!typed) return undefined;
      out.push(...typed);
    }
    return out.length ? out : undefined;
  }

  /**
   * The records of the typed pointers the program computes from `base` (`fh = skb->data - 8`,
   * bound to `struct frag_hdr *fh`, beside the store to `fh->reserved` the optimizer rewrote as
   * `skb->data - 7`): they point into the object `base` points into, so a write at another
   * offset from `base` lands in that object too — one of those records or a record holding it.
   */
  private siblingRecords(base: Value): AbstractObject[] {
    const fn = functionOf(base);
    if (!fn || !this.typer) return [];
    const out = new Set<AbstractObject>();
    for (const u of this.typer.usesOf(base, fn)) {
      if (u.opcode !== 'getelementptr' || u.operands[0] !== base) continue;
      const t = this.typedPointer(u) ?? this.containerRecord(u);
      if (t?.kind === 'typeany') out.add(t);
    }
    return [...out];
  }

  /** True when the analysis lost `value`: its points-to set is empty or holds `unknown`. */
  private isLost(value: Value, module: ProgramModule): boolean {
    const t = this.pts.pointsTo(value, module);
    return !t.length || t.some((x) => x.object.kind === 'unknown');
  }

  /** A caller's lost argument typed as that caller's own write through it would be, or undefined. */
  private recordsOfArgument(value: Value, module: ProgramModule, depth: number): AbstractObject[] | undefined {
    const t = this.typedPointer(value) ?? this.recordOfField(value, module);
    return t?.kind === 'typeany' ? [t] : this.recordsOfOrigins(value, module, depth + 1);
  }

  /**
   * Follows a lost call result into its callee and a lost parameter into its callers, as far as
   * the program or its context has their code: the reason is where that code loses the pointer.
   * Code read only as summaries says that it loses it, not where (`context-lost`).
   */
  private explainer(depth: number): OriginExplainer {
    const deeper = depth + 1 < CALLER_DEPTH ? this.explainer(depth + 1) : undefined;
    const contextLost = (detail: string): Widening[] => [{ kind: 'context-lost', detail }];
    return {
      result: (callee) => {
        const def = callee.isDefinition ? callee : this.program.lookup(callee.name)?.value;
        if (def?.kind === 'function' && def.isDefinition) {
          const inner = deeper ? returnedValues(def).flatMap((v) => originReasons(v, deeper)) : [];
          return inner.length ? inner : [{ kind: 'other', detail: 'lost inside it' }];
        }
        return this.pts.contextDefines(callee.name) ? contextLost('its code, read as a summary, loses what it returns') : undefined;
      },
      parameter: (a) => {
        switch (this.pts.parameterSource(a)) {
          case 'context':
            return contextLost('a caller in the context, read as a summary, passes a pointer its own analysis loses');
          case 'program': {
            if (!deeper) return [{ kind: 'other', detail: 'lost by its callers' }];
            // the callers whose argument is lost and stays untyped: why the parameter is unbounded
            const lost = (this.pts.argumentsPassedAs(a) ?? []).filter(
              ({ value, module }) => this.isLost(value, module) && !this.recordsOfArgument(value, module, depth),
            );
            const inner = lost.flatMap(({ value }) => {
              const caller = functionOf(value)?.name ?? '?';
              return originReasons(value, deeper).map((r) => ({ ...r, detail: `from ${caller}: ${r.detail}` }));
            });
            return inner.length ? inner : [{ kind: 'other', detail: 'lost by its callers' }];
          }
          default:
            return undefined;
        }
      },
    };
  }

  /**
   * "Any object of T" for a pointer its address computation types ({@link PointsTo.debugTypesAlongPointer}):
   * the outermost of its records that contains the inner ones (`refcount_inc(&ifp->refcnt)` inlined
   * is "any `inet6_ifaddr`", not "any object holding a `refcount_t`": the object written is or
   * contains that `inet6_ifaddr`). An outer binding of a record that does not contain the inner one
   * is a cast between unrelated types (`struct sockaddr *` over a `struct sockaddr_in6`): the
   * object need not be one, so it is not taken.
   */
  private typedPointer(v: Value): AbstractObject | undefined {
    return this.typedPointerAt(v)?.object;
  }

  /** {@link typedPointer}, with the byte offset of `v` into that record (UNKNOWN when an index varies). */
  private typedPointerAt(v: Value): { object: AbstractObject; offset: number } | undefined {
    const [first, ...outer] = this.pts.debugTypesAlongPointerAt(v);
    if (first?.object.kind !== 'typeany') return first;
    // the records each containing the one before: every one is sound; the one admitting the fewest
    // entries wins (an outer record admits fewer record types, and, being larger, fewer buffers),
    // then the fewest record types, then the outermost
    let inner = first.object;
    let best = { object: first.object, offset: first.offset };
    for (const { object: o, offset } of outer) {
      if (o.kind !== 'typeany' || !this.containment.containersOf(inner.typeName).has(o.typeName)) continue;
      inner = o;
      const d = this.typeAnyEntries(o) - this.typeAnyEntries(best.object);
      if (d < 0 || (d === 0 && this.admittedTypes(o.typeName).size <= this.admittedTypes(best.object.typeName).size))
        best = { object: o, offset };
    }
    return best;
  }

  /**
   * What "any object of T" admits by name: the sites, globals and catalogued caches of T's
   * admitted record types, and the typeless buffers that may hold a T. (A site no lost pointer may
   * reach, typed or not, is reached only through sets that name it.)
   */
  private admitTypeAny(
    o: AbstractObject & { kind: 'typeany' },
    acc: Accumulator,
    set: LegalSet,
    foreignTypes?: Set<string>,
    /** Where in the T the write starts, when known: past T's own links no list head poses as a T. */
    offset?: number,
  ): void {
    const links = this.containment.selfLinksOf(o.typeName);
    const heads = offset === undefined || offset === UNKNOWN || links === undefined || offset < links;
    for (const name of this.admittedTypes(o.typeName, heads)) {
      for (const s of this.sitesByType.get(name) ?? []) if (!this.confined.has(s.id)) admitSite(s, acc, set);
      for (const g of this.globalsByType.get(name) ?? []) acc.globals.add(g);
      // a cache the rest of the kernel created for T (or a container of T): by name
      for (const c of this.cataloguedByType.get(name) ?? []) acc.slabCaches.add(c);
      foreignTypes?.add(name);
      // an allocation typed as the start of a container may be one (a sock that is a tcp6_sock,
      // allocated with the run-time size `prot->obj_size`), not one of a constant size too small
      // for it (`kmalloc(sizeof(struct work_struct))` is no `xfrm_trans_tasklet`)
      // (its sites only: a foreign object of a prefix type is not a T)
      // nor an array of the prefix type (`kmalloc_array(n, sizeof(struct list_head))`, a hash table)
      const need = this.containment.sizeOf(name);
      for (const p of this.containment.prefixesOf(name)) {
        const element = this.containment.sizeOf(p);
        for (const s of this.sitesByType.get(p) ?? [])
          if (!this.confined.has(s.id) && !tooSmall(s, need) && !arrayOf(s, element, need)) admitSite(s, acc, set);
        // likewise a catalogued cache typed by the start of its objects (skbuff_fclone_cache's
        // sk_buff_fclones are allocated as their first sk_buff), when its objects are large enough
        for (const c of this.cataloguedByType.get(p) ?? [])
          if (need === undefined || (this.cataloguedSize.get(c) ?? need) >= need) acc.slabCaches.add(c);
      }
    }
    // a T may also live inside typeless memory (a header inside skb data, a struct cast over a
    // kmalloc'd byte buffer): every typeless buffer site a lost pointer may reach stays legal
    const need = sizeOf(o.type);
    for (const s of this.bufferSites) {
      if (this.confined.has(s.id)) continue;
      // a buffer of known size smaller than a T cannot hold one
      if (tooSmall(s, need)) continue;
      // nor can a string (kstrdup, kasprintf): text by its allocator's contract
      if (s.type.contents === 'string') continue;
      admitSite(s, acc, set);
    }
  }

  /** The {@link legalSetSize} of what "any object of T" admits ({@link admitTypeAny}), per T. */
  private typeAnyEntries(o: AbstractObject & { kind: 'typeany' }): number {
    let n = this.entries.get(o.typeName);
    if (n === undefined) {
      const set = emptyLegalSet();
      const acc = newAccumulator();
      this.admitTypeAny(o, acc, set);
      n = legalSetSize(setNamedEntries(set, acc));
      this.entries.set(o.typeName, n);
    }
    return n;
  }
  private readonly entries = new Map<string, number>();

  /**
   * The record types "any object of T" admits: T's containers, and those of the list heads that may
   * pose as a T (`heads`: unless the write lies past the links a head mirrors).
   */
  private admittedTypes(name: string, heads = true): Set<string> {
    const key = heads ? name : `${name}\0past-links`;
    let set = this.admitted.get(key);
    if (!set) {
      const posing = heads ? this.containment.headsOf(name) : [];
      set = new Set([name, ...posing].flatMap((t) => [...this.containment.containersOf(t)]));
      this.admitted.set(key, set);
    }
    return set;
  }
  private readonly admitted = new Map<string, Set<string>>();

  /**
   * For a pointer whose one declared pointee is a `P *` (P a record): P's name and the record types
   * holding a member of that type — only when the kernel's BTF was read, so that every such record
   * of the kernel is known; else undefined.
   */
  private pointerSlot(pointer: Value, module: ProgramModule): { target: string; holders: Set<string> } | undefined {
    const fn = functionOf(pointer);
    if (!fn || !this.typer || !this.containment.wholeKernel) return undefined;
    const declared = this.typer.pointeeTypes(pointer, { fn, pm: module }, 0, false);
    if (declared.length !== 1) return undefined;
    const p = pointeeOf(declared[0]!);
    if (!p || !isRecord(p)) return undefined;
    const target = typeName(p);
    const holders = this.containment.pointerHoldersOf(target);
    return holders.size ? { target, holders } : undefined;
  }

  /** "Any object of R" for a record type known by name (R may be known only from BTF). */
  private holderObject(name: string): AbstractObject & { kind: 'typeany' } {
    let o = this.holders.get(name);
    if (!o) this.holders.set(name, (o = { kind: 'typeany', typeKey: `holder:${name}`, typeName: name, type: null, cellBase: `T:${name}` }));
    return o;
  }
  private readonly holders = new Map<string, AbstractObject & { kind: 'typeany' }>();

  /** The record whose object debug info places `v` inside ({@link containerBindings}), as "any object of R". */
  private containerRecord(v: Value): AbstractObject | undefined {
    const fn = functionOf(v);
    if (!fn) return undefined;
    let m = this.containers.get(fn);
    if (!m) this.containers.set(fn, (m = containerBindings(fn)));
    const t = m.get(v);
    return t === undefined ? undefined : this.pts.typeAnyOf(pointeeOf(t) ?? null);
  }
  private readonly containers = new WeakMap<Function, Map<Value, Metadata | null>>();

  /** True when the pointer is declared `__percpu` (by a variable, or the field it is loaded from). */
  private declaredPercpu(pointer: Value, module: ProgramModule): boolean {
    const fn = functionOf(pointer);
    return !!fn && !!this.typer?.declaredPercpu(pointer, { fn, pm: module });
  }

  /** The legal set of a write through `pointer` in `module`. */
  of(pointer: Value, module: ProgramModule): LegalSet {
    const set = emptyLegalSet();
    const acc = newAccumulator();
    const reasons = new Map<string, Widening>();
    /** The record types a typed fallback admits from the rest of the kernel. */
    const foreignTypes = new Set<string>();
    /** Some target is per-cpu memory of no known variable or area: every per-cpu byte is legal. */
    let percpuAny = false;
    const targets = this.pts.pointsTo(pointer, module);
    // nothing in the program reaches it (a load from a cell the solve left empty): lost like
    // `unknown`, so typed like it (`idev` in mld_update_qrv is a `struct inet6_dev *`), else anything
    const lost = targets.length === 0;
    let percpuPointer: boolean | undefined;
    const isPercpu = (): boolean => (percpuPointer ??= this.declaredPercpu(pointer, module));
    /**
     * A `__percpu` pointer (`this_cpu_dec(*dev->pcpu_refcnt)`) holds an offset into per-cpu memory:
     * the write lands in a per-cpu variable or area, never elsewhere. Which areas hold a T the run
     * time cannot tell (`net->mib.tcp_statistics` is allocated by net/ipv4), so a T admits every
     * dynamic area and the static per-cpu Ts; with no T, any per-cpu memory.
     */
    const addPercpu = (name: string | undefined): void => {
      set.percpu = true;
      if (name) {
        set.percpuAreas = true;
        for (const g of this.percpuGlobalsByType.get(name) ?? []) acc.percpuGlobals.add(g);
      } else percpuAny = true;
      const detail = name ? `any per-cpu ${name} (a __percpu pointer)` : 'any per-cpu memory (a __percpu pointer)';
      reasons.set(`percpu:${detail}`, { kind: 'untyped-origin', detail });
    };
    const addSite = (s: AllocationSite): void => admitSite(s, acc, set);
    const addObject = (o: AbstractObject, offset?: number): void => {
      switch (o.kind) {
        case 'site':
          addSite(o.site);
          break;
        case 'global':
          if (o.percpu) {
            set.percpu = true;
            acc.percpuGlobals.add(o.key);
          } else acc.globals.add(o.key);
          break;
        case 'stack':
          set.stack = true;
          break;
        case 'function':
          acc.globals.add(o.key);
          break;
        case 'unknown': {
          // a pointer the analysis lost but whose debug type is known: any object of that type
          // (a `T *` variable's record with the write's offset into it: past T's links no head poses as a T)
          const at = this.typedPointerAt(pointer);
          let t = at?.object ?? this.recordOfField(pointer, module);
          let offset = at?.offset;
          // the record the base of the address computation points to, when it holds the variable's:
          // an inlined `atomic64_inc(v)` on `&idev->stats.icmpv6dev->mibs[4]` writes into an
          // `icmpv6_mib_device` (the field its base is loaded from says so), not into any object
          // holding an `atomic64_t` (a struct cred among them). Only a base with one declared
          // pointee: a list cursor that may be the list's head (`p` of `list_for_each(p, head)`)
          // lies in the head's record or in an element, whatever `container_of` the loop binds.
          if (at?.object.kind === 'typeany') {
            const inner = at.object;
            const fn = functionOf(pointer);
            const base = FieldTyper.baseOf(pointer);
            const declared = base && fn ? (this.typer?.pointeeTypes(base, { fn, pm: module }, 0, false) ?? []) : [];
            const o = declared.length === 1 ? this.pts.typeAnyOf(declared[0]!) : undefined;
            if (
              o?.kind === 'typeany' &&
              o.typeName !== inner.typeName &&
              this.containment.containersOf(inner.typeName).has(o.typeName) &&
              this.typeAnyEntries(o) < this.typeAnyEntries(inner)
            ) {
              t = o;
              offset = undefined;
            }
          }
          if (isPercpu()) {
            addPercpu(t?.kind === 'typeany' ? t.typeName : undefined);
            break;
          }
          if (t) {
            addObject(t, offset);
            break;
          }
          const typed = this.recordsOfOrigins(pointer, module);
          if (typed) {
            for (const o of typed) addObject(o);
            break;
          }
          // a `P **` (`*pprev = next` in __hlist_del): the slot written is a `P *` member of some
          // record, a `P *` variable (global or on the stack): any object holding one
          const slot = this.pointerSlot(pointer, module);
          if (slot !== undefined) {
            for (const h of slot.holders) this.admitTypeAny(this.holderObject(h), acc, set, foreignTypes);
            // and the allocations of such pointers (`alloc_percpu(struct rt6_info *)`, a `void *` array)
            for (const n of [`${slot.target} *`, `${slot.target} *[]`, 'void *', 'void *[]'])
              for (const st of this.sitesByType.get(n) ?? []) if (!this.confined.has(st.id)) admitSite(st, acc, set);
            for (const g of this.pointerGlobals.get(slot.target) ?? []) acc.globals.add(g);
            set.stack = true;
            set.foreign = true;
            const detail = `any object holding a \`${slot.target} *\` (what a \`${slot.target} **\` points to)`;
            reasons.set(`slot:${slot.target}`, { kind: 'untyped-origin', detail });
            break;
          }
          set.any = true;
          for (const r of originReasons(pointer, this.explainer(0))) reasons.set(`${r.kind}:${r.detail}`, r);
          if (!reasons.size && lost)
            reasons.set('untyped-origin', { kind: 'untyped-origin', detail: 'no value of the program reaches this pointer' });
          if (!reasons.size) reasons.set('unknown', { kind: 'other', detail: 'points to memory the analysis does not model' });
          break;
        }
        case 'typeany': {
          if (isPercpu()) {
            addPercpu(o.typeName);
            break;
          }
          this.admitTypeAny(o, acc, set, foreignTypes, offset);
          set.stack = true;
          // objects of T the rest of the kernel allocated are as legal as the program's own
          set.foreign = true;
          const detail = `any object of type ${o.typeName}`;
          reasons.set(`typeany:${o.typeName}`, { kind: 'untyped-origin', detail });
          break;
        }
      }
    };
    for (const t of lost ? [{ object: LOST, offset: undefined }] : targets) addObject(t.object, t.offset);
    setNamedEntries(set, acc);
    if (acc.percpuGlobals.size && !percpuAny) set.percpuGlobals = [...acc.percpuGlobals].sort();
    // `percpu` alone (no variables, no areas) is any per-cpu memory
    if (percpuAny) delete set.percpuAreas;
    set.reasons = [...reasons.values()];
    if (foreignTypes.size) {
      set.foreignTypes = [...foreignTypes].sort().map((name) => {
        const size = this.containment.sizeOf(name);
        return size ? { name, size } : { name };
      });
    }
    // a fallback ("any object of T", or "any") for a pointer that can only point into an skb's head
    // buffer: that buffer, which the run time knows, is all it may write
    if ((set.any || set.foreign) && this.skbHeads?.isHeadPointer(pointer, module)) {
      return emptyLegalSet({ classes: ['skb-head'], reasons: [SKB_HEAD_REASON] });
    }
    if (set.any) {
      // "any" subsumes the rest: keep the reasons only
      return { ...emptyLegalSet(), any: true, reasons: set.reasons };
    }
    return set;
  }
}

const SKB_HEAD_REASON: Widening = {
  kind: 'untyped-origin',
  detail: 'any sk_buff head buffer (the pointer comes only from skb->head / skb->data)',
};

/** The named entries of a legal set while it is built. */
interface Accumulator {
  globals: Set<string>;
  percpuGlobals: Set<string>;
  slabCaches: Set<string>;
  slabSites: Set<string>;
  buddySites: Set<string>;
  vmallocCallers: Set<string>;
}
const newAccumulator = (): Accumulator => ({
  globals: new Set(),
  percpuGlobals: new Set(),
  slabCaches: new Set(),
  slabSites: new Set(),
  buddySites: new Set(),
  vmallocCallers: new Set(),
});

/** Whether site `s` allocates a constant number of bytes fewer than `need` (so holds no object that large). */
function tooSmall(s: AllocationSite, need: number | undefined): boolean {
  return !!need && !!s.size && 'constant' in s.size && s.size.constant < need;
}

/**
 * Whether site `s` allocates an array of `element`-byte objects (its run-time size a multiple of
 * exactly that), smaller than `need`: an array of a container's first member, not the container.
 */
function arrayOf(s: AllocationSite, element: number | undefined, need: number | undefined): boolean {
  return !!element && !!need && element < need && !!s.size && 'multipleOf' in s.size && s.size.multipleOf === element;
}

/** What an allocation site adds to a legal set: its cache or itself, its vmalloc caller, or a region flag. */
function admitSite(s: AllocationSite, acc: Accumulator, set: LegalSet): void {
  switch (s.kind) {
    case 'slab':
      if (s.cache) for (const c of s.caches ?? [s.cache]) acc.slabCaches.add(c);
      else acc.slabSites.add(s.id);
      break;
    case 'slab-or-vmalloc':
      acc.slabSites.add(s.id);
      acc.vmallocCallers.add(s.caller);
      break;
    case 'buddy':
      // alloc_pages / folio_alloc return the page's descriptor, which lives in vmemmap
      if (isPageDescriptor(s)) set.vmemmap = true;
      else acc.buddySites.add(s.id);
      break;
    case 'vmalloc':
      acc.vmallocCallers.add(s.caller);
      break;
    case 'percpu':
      set.percpu = true;
      set.percpuAreas = true;
      break;
  }
}

/** The accumulated globals, caches, sites and vmalloc callers into `set`, sorted; `set` returned. */
function setNamedEntries(set: LegalSet, acc: Accumulator): LegalSet {
  set.globals = [...acc.globals].sort();
  set.slabCaches = [...acc.slabCaches].sort();
  set.slabSites = [...acc.slabSites].sort();
  set.buddySites = [...acc.buddySites].sort();
  set.vmallocCallers = [...acc.vmallocCallers].sort();
  return set;
}

/** What a pointer nothing in the program reaches points to. */
const LOST: AbstractObject = { kind: 'unknown', cellBase: 'unknown' };

/** Parameters followed into their callers this many calls deep at most; deeper stays untyped. */
const CALLER_DEPTH = 3;

/** Past this many values behind a pointer its origins are not all known: it stays untyped. */
const ORIGINS_LIMIT = 256;

/** The function an instruction or argument belongs to. */
function functionOf(v: Value): Function | undefined {
  return v.kind === 'instruction' ? v.parent?.parent : v.kind === 'argument' ? v.parent : undefined;
}

/**
 * The record a global is, or is an array of (`struct list_head inetsw6[11]`, a hash table of
 * `hlist_head`s): "any object of T" admits the whole global either way.
 */
function globalRecordType(g: GlobalVariable): Metadata | null {
  let t = stripQualifiers(globalDebugType(g));
  for (let depth = 0; t?.kind === 'DICompositeType' && t.tag === 'DW_TAG_array_type' && depth < 8; depth++) t = stripQualifiers(t.baseType);
  return t && isRecord(t) ? t : null;
}

/**
 * What {@link originReasons} may ask about code beyond the pointer's own function, so that
 * `unknown-external` is left to code without IR: where a callee or a caller has IR, the reason is
 * where that code loses the pointer.
 */
export interface OriginExplainer {
  /** Why a call's result is lost inside its callee; undefined when the callee has no IR here. */
  result(callee: Function): Widening[] | undefined;
  /** Why a parameter is lost at its callers; undefined when callers outside the program may pass anything. */
  parameter(parameter: Argument): Widening[] | undefined;
}

/**
 * Why a pointer's origin is outside what the analysis tracks (int-to-ptr, inline asm, external
 * call…). With an {@link OriginExplainer}, results and parameters are followed into the code that
 * has them; without one, every call result and parameter is `unknown-external`.
 */
export function originReasons(pointer: Value, explain?: OriginExplainer): Widening[] {
  const out: Widening[] = [];
  for (const o of origins(pointer)) {
    const c = stripCasts(o);
    if (c.kind === 'instruction') {
      const loc = framesOf(c.debugLoc);
      const at = loc.length ? { location: loc } : {};
      if (c.opcode === 'inttoptr') out.push({ kind: 'int-to-ptr', detail: `%${c.name ?? '?'} = inttoptr`, ...at });
      else if (c.opcode === 'call' || c.opcode === 'callbr' || c.opcode === 'invoke') {
        const callee = stripCasts(c.callee);
        if (callee.kind === 'asm') out.push({ kind: 'inline-asm', detail: callee.asm.slice(0, 60), ...at });
        else if (callee.kind === 'function') {
          const inner = explain?.result(callee);
          // where the callee loses it, else (code read as a summary) the call
          if (inner) out.push(...inner.map((r) => ({ ...(r.location ? {} : at), ...r, detail: `result of ${callee.name}: ${r.detail}` })));
          else out.push({ kind: 'unknown-external', detail: `result of ${callee.name}`, ...at });
        } else out.push({ kind: 'indirect-call', detail: 'result of an indirect call', ...at });
      } else if (c.opcode === 'load') out.push({ kind: 'unknown-load', detail: `%${c.name ?? '?'} = load`, ...at });
    } else if (c.kind === 'argument') {
      const name = `argument %${c.name ?? c.index}`;
      const inner = explain?.parameter(c);
      if (inner) out.push(...inner.map((r) => ({ ...r, detail: `${name}: ${r.detail}` })));
      else
        out.push({
          kind: 'unknown-external',
          detail: explain
            ? `${name}: callers outside the program may pass anything`
            : `${name}: what its callers pass is lost (a caller outside the program, or one whose own pointer the analysis lost)`,
        });
    }
  }
  return out.slice(0, 4);
}
