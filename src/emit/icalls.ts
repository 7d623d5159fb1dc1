// Owns the generation of the indirect-call checks (issue 16) from a mapped policy: one
// `kc_icall_N` kprobe program per machine instruction making an indirect call (several IR calls
// merged on one instruction share it, their target sets united), reading the target where the
// mapper says it is — a register (`call *%reg`, the retpoline thunk's register) or a memory word
// (`call *disp(%reg)`, read with bpf_probe_read_kernel) — and calling kc_icall_check() of
// runtime/bpf/icall.bpf.h; the loader's part of the seed (`kc_icall_seed`, appended to
// `<name>.seed.h`: every site's probe point, source line and allowed target names); and what is
// left unchecked, by reason: unmapped calls, calls whose set is empty and has no prototype to widen
// it by, operands pt_regs cannot give. A set the analysis could not close — empty (no analyzed
// code stores a function where the pointer comes from) or from signature matching over the
// analyzed IR alone — is widened at load time by its C prototype (the policy's `prototype`):
// the loader adds every function of the running kernel's BTF with that prototype (as kCFI
// would allow). Names reach the C only through ./escape.ts.
import { ATTACHABLE_SYMBOL } from '../policy/index.js';
import type { BinarySite, IndirectCall, MemoryOperand, Policy } from '../policy/index.js';
import { cComment, cString } from './escape.js';

/**
 * A 64-bit register's `struct pt_regs` field. A call target is a full pointer: only 64-bit
 * registers hold one (the write sites' 32-bit views are emit.ts's; this file does not import it,
 * which imports this one).
 */
const PT_REGS: Readonly<Record<string, string>> = {
  rax: 'ax',
  rbx: 'bx',
  rcx: 'cx',
  rdx: 'dx',
  rsi: 'si',
  rdi: 'di',
  rbp: 'bp',
  rsp: 'sp',
  ...Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`r${k + 8}`, `r${k + 8}`])),
};

/** base + index × scale + displacement over `ctx`, or undefined when pt_regs lacks a register. */
function memoryExpression(op: MemoryOperand): string | undefined {
  const terms: string[] = [];
  if (op.base !== undefined) {
    const b = PT_REGS[op.base];
    if (b === undefined) return undefined;
    terms.push(`ctx->${b}`);
  }
  if (op.index !== undefined) {
    const i = PT_REGS[op.index];
    if (i === undefined || ![1, 2, 4, 8].includes(op.scale)) return undefined;
    terms.push(op.scale === 1 ? `ctx->${i}` : `ctx->${i} * ${op.scale}`);
  }
  if (!Number.isSafeInteger(op.displacement)) return undefined;
  if (op.displacement !== 0 || terms.length === 0)
    terms.push(op.displacement < 0 ? `(__u64)(${op.displacement}LL)` : `${op.displacement}ULL`);
  return terms.join(' + ');
}

/** The kprobe section of a program: `kprobe/<symbol>+0x<off>`, or a bare `kprobe` for a name C cannot carry there (the loader attaches it from the seed). */
function sectionOf(symbol: string, offset: number): string {
  if (!ATTACHABLE_SYMBOL.test(symbol) || !Number.isSafeInteger(offset) || offset < 0) return '"kprobe"';
  return cString(`kprobe/${symbol}+0x${offset.toString(16)}`);
}

/** One indirect-call program: the instruction it sits on and the union of its calls' sets. */
export interface EmittedIndirectCall {
  readonly id: number;
  readonly program: string;
  /** The policy's indirect-call ids on this instruction (the first names the site). */
  readonly calls: readonly string[];
  readonly symbol: string;
  readonly offset: number;
  /** The C expression of the target over `ctx`. */
  readonly target: string;
  readonly targets: readonly { readonly symbol: string; readonly module: string }[];
  /** The prototype the loader widens the set by (every BTF function of it), when the analysis could not close the set. */
  readonly widenBy?: string;
}

/** Why a call's set is widened by its prototype at load time: empty, or signature matching over the analyzed IR alone. */
export function needsPrototypeWidening(c: IndirectCall): boolean {
  return c.targets.length === 0 || c.reasons.some((r) => r.kind === 'signature-only' || r.kind === 'signature-added');
}

/** One indirect call left without a check, and why. */
export interface UncheckedIndirectCall {
  readonly reason: 'unmapped' | 'empty-set' | 'unsupported';
  readonly call: string;
  readonly function: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly symbol: string;
  readonly offset: number;
  readonly detail?: string;
}

/** What {@link emitIndirectCalls} gives emitBpf. */
export interface IndirectCallEmit {
  readonly sites: EmittedIndirectCall[];
  /** The programs, as C (after the site programs). */
  readonly programs: string;
  /** The loader's part of the seed, appended to `<name>.seed.h` (defines `kc_icall_seed`). */
  readonly seed: string;
  readonly unchecked: UncheckedIndirectCall[];
  readonly stats: {
    /** Indirect calls of the policy. */
    readonly calls: number;
    /** Of those, checked at one or more instructions. */
    readonly checkedCalls: number;
    readonly programs: number;
    /** Of the checked calls, those whose set the loader widens by prototype (BTF). */
    readonly widened: number;
    readonly unchecked: Readonly<Record<UncheckedIndirectCall['reason'], number>>;
  };
  /** `icall: N calls, C checked by P programs (W widened by prototype at load); unchecked U (unmapped M, empty set E, unsupported X)` */
  readonly line: string;
}

interface Group {
  readonly b: BinarySite;
  readonly calls: IndirectCall[];
  readonly target: string;
  readonly targets: Map<string, { symbol: string; module: string }>;
  widenBy?: string;
}

/** The C expression of the target of a mapped indirect-call instruction, or why there is none. */
export function indirectTargetExpression(b: BinarySite): { expr: string } | { unsupported: string } {
  if (b.calleeRegister !== undefined) {
    const r = PT_REGS[b.calleeRegister];
    return r !== undefined ? { expr: `ctx->${r}` } : { unsupported: `register ${b.calleeRegister}` };
  }
  const op = b.operand;
  if (op === undefined) return { unsupported: 'no register and no operand' };
  if (op.segment !== undefined || op.displacementTarget !== undefined || op.base === 'rip')
    return { unsupported: `operand ${op.segment ? `${op.segment}:` : ''}${op.displacementTarget ?? op.base ?? ''}` };
  const e = memoryExpression(op);
  return e !== undefined ? { expr: `kc_icall_load(${e})` } : { unsupported: `operand ${op.base ?? ''}${op.index ? `,${op.index}` : ''}` };
}

class Names {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  name(s: string): number {
    let i = this.ids.get(s);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(s);
      this.ids.set(s, i);
    }
    return i;
  }
}

/**
 * The indirect-call checks of a mapped policy: programs, the loader's seed and the unchecked
 * calls. A policy without `indirectCalls` (or not mapped) gives no program and an empty seed.
 */
export function emitIndirectCalls(policy: Pick<Policy, 'indirectCalls' | 'functions'>): IndirectCallEmit {
  const calls = policy.indirectCalls ?? [];
  // the entry of the main seed's kc_seed_functions (policy.functions, in its order) of a static function
  const place = new Map((policy.functions ?? []).map((f, at) => [`${f.object}\0${f.symbol}`, at]));
  const unchecked: UncheckedIndirectCall[] = [];
  const groups = new Map<string, Group>();
  const checked = new Set<string>();
  const widened = new Set<string>();
  const skip = (reason: UncheckedIndirectCall['reason'], c: IndirectCall, b: BinarySite | undefined, detail?: string): void => {
    const at = c.location[0];
    unchecked.push({
      reason,
      call: c.id,
      function: c.function,
      file: at?.file ?? '',
      line: at?.line ?? 0,
      column: at?.column ?? 0,
      symbol: b?.symbol ?? c.function,
      offset: b?.offset ?? 0,
      ...(detail !== undefined ? { detail } : {}),
    });
  };
  for (const c of calls) {
    const binary = c.binary ?? [];
    if (binary.length === 0) {
      skip('unmapped', c, undefined, 'not mapped (no objects given)');
      continue;
    }
    const widen = needsPrototypeWidening(c) && c.prototype !== undefined;
    if (c.targets.length === 0 && !widen) {
      // no analyzed code stores a function where the pointer comes from, and debug info gives no
      // prototype to widen by: a check would refuse every call, so it is left unchecked and counted
      for (const b of binary) skip('empty-set', c, b, `no prototype; IR signature ${c.signature}`);
      continue;
    }
    for (const b of binary) {
      if (b.confidence === 'unmapped') {
        skip('unmapped', c, b, b.reason);
        continue;
      }
      const t = indirectTargetExpression(b);
      if ('unsupported' in t) {
        skip('unsupported', c, b, t.unsupported);
        continue;
      }
      const key = `${b.object}\0${b.symbol}\0${b.offset}`;
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { b, calls: [], target: t.expr, targets: new Map() }));
      g.calls.push(c);
      for (const x of c.targets) g.targets.set(`${x.module}\0${x.symbol}`, x);
      // one prototype per instruction: calls merged there share their callee's type
      if (widen) g.widenBy ??= c.prototype;
      checked.add(c.id);
      if (widen) widened.add(c.id);
    }
  }
  const sites: EmittedIndirectCall[] = [];
  const programs: string[] = [];
  const names = new Names();
  const targetRows: string[] = [];
  const siteRows: string[] = [];
  for (const g of groups.values()) {
    const id = sites.length;
    const program = `kc_icall_${id}`;
    const targets = [...g.targets.values()].sort((a, b) => a.symbol.localeCompare(b.symbol) || a.module.localeCompare(b.module));
    sites.push({
      id,
      program,
      calls: g.calls.map((c) => c.id),
      symbol: g.b.symbol,
      offset: g.b.offset,
      target: g.target,
      targets,
      ...(g.widenBy !== undefined ? { widenBy: g.widenBy } : {}),
    });
    const c0 = g.calls[0]!;
    const at = c0.location[0];
    const shown = targets.slice(0, 40).map((t) => t.symbol);
    const more = targets.length > shown.length ? ` … (+${targets.length - shown.length})` : '';
    programs.push(
      `/* icall ${id}: ${cComment(c0.id)}${g.calls.length > 1 ? ` (+${g.calls.length - 1} merged on this instruction)` : ''}` +
        (at ? ` at ${cComment(at.file)}:${at.line}:${at.column}` : '') +
        `; ${cComment(g.b.symbol)}+0x${g.b.offset.toString(16)}${g.b.thunk ? ` (${cComment(g.b.thunk)})` : ''}\n` +
        ` * allowed targets (${targets.length}): ${cComment(shown.join(', '))}${more}\n` +
        (g.widenBy !== undefined ? ` * widened at load by prototype: every kernel function of ${cComment(g.widenBy)} (BTF)\n` : '') +
        ` */\n` +
        `SEC(${sectionOf(g.b.symbol, g.b.offset)})\n` +
        `int ${program}(struct pt_regs *ctx)\n{\n\tkc_icall_check(ctx, ${id}u, ${g.target}, ctx->sp);\n\treturn 0;\n}\n`,
    );
    const first = targetRows.length;
    for (const t of targets) targetRows.push(`{ .symbol = ${names.name(t.symbol)}, .module = ${names.name(t.module)} }`);
    siteRows.push(
      `{ .program = ${cString(program)}, .symbol = ${names.name(g.b.symbol)}, .place = ${place.get(`${g.b.object}\0${g.b.symbol}`) ?? -1}, ` +
        `.offset = 0x${g.b.offset.toString(16)}, .call = ${names.name(c0.id)}, .function = ${names.name(c0.function)}, .file = ${names.name(at?.file ?? '')}, ` +
        `.line = ${at?.line ?? 0}, .column = ${at?.column ?? 0}, .first = ${first}, .count = ${targets.length}, ` +
        `.prototype = ${g.widenBy !== undefined ? names.name(g.widenBy) : -1} }`,
    );
  }
  const rows = (r: readonly string[]): string => r.map((x) => `\t${x},\n`).join('');
  const seed =
    `\n/* indirect calls (src/emit/icalls.ts, loader/icalls.c): ${sites.length} checked instructions, ` +
    `${targetRows.length} allowed target names */\n` +
    `#include "icalls.h"\n\n` +
    `static const char *const kc_icall_names[${names.names.length} + 1] = {\n${rows(names.names.map((n) => cString(n)))}\t0,\n};\n\n` +
    `static const struct kc_icall_target kc_icall_targets[${targetRows.length} + 1] = {\n${rows(targetRows)}\t{ .symbol = -1, .module = -1 },\n};\n\n` +
    `static const struct kc_icall_seed_site kc_icall_sites[${siteRows.length} + 1] = {\n${rows(siteRows)}\t{ .program = 0 },\n};\n\n` +
    `const struct kc_icall_seed kc_icall_seed = {\n` +
    `\t.n_sites = ${siteRows.length},\n\t.n_targets = ${targetRows.length},\n\t.n_names = ${names.names.length},\n` +
    `\t.names = kc_icall_names,\n\t.targets = kc_icall_targets,\n\t.sites = kc_icall_sites,\n};\n`;
  const by = (r: UncheckedIndirectCall['reason']): number => new Set(unchecked.filter((u) => u.reason === r).map((u) => u.call)).size;
  const uncheckedCounts = { unmapped: by('unmapped'), 'empty-set': by('empty-set'), unsupported: by('unsupported') };
  const uncheckedCalls = new Set(unchecked.map((u) => u.call)).size;
  return {
    sites,
    programs: programs.join('\n'),
    seed,
    unchecked,
    stats: { calls: calls.length, checkedCalls: checked.size, programs: sites.length, widened: widened.size, unchecked: uncheckedCounts },
    line:
      `icall: ${calls.length} calls, ${checked.size} checked by ${sites.length} programs (${widened.size} widened by prototype at load); unchecked ${uncheckedCalls} ` +
      `(unmapped ${uncheckedCounts.unmapped}, empty set ${uncheckedCounts['empty-set']}, unsupported ${uncheckedCounts.unsupported})`,
  };
}

/** `unchecked.txt` rows of the indirect calls: reason, source line, function, probe address, call id, detail. */
export function uncheckedIndirectCallRows(u: readonly UncheckedIndirectCall[]): string {
  const clean = (s: string): string => s.replace(/[\t\n\r]/g, ' ');
  return [...u]
    .sort((x, y) => x.reason.localeCompare(y.reason) || x.file.localeCompare(y.file) || x.line - y.line || x.offset - y.offset)
    .map(
      (x) =>
        `${[
          `icall-${x.reason}`,
          `${x.file}:${x.line}:${x.column}`,
          x.function,
          `${x.symbol}+0x${x.offset.toString(16)}`,
          x.call,
          x.detail ?? '',
        ]
          .map(clean)
          .join('\t')}\n`,
    )
    .join('');
}
