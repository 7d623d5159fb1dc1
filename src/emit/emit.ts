// Owns the generation of eBPF C from a mapped policy (DESIGN.md §5): the
// checks of the binary sites that need one, either as data (the default,
// `sitePrograms: 'data'`: one `kc_site` program over runtime/bpf/site.bpf.h
// that the loader attaches at every site with the site id as BPF cookie, and
// per site an effective-address recipe in the seed) or as one
// `SEC("kprobe/<symbol>+0x<off>")` program per site (`'per-site'`), each
// computing the effective address of its write from named `struct pt_regs`
// fields and calling the shared checker of runtime/bpf/ with its site id,
// under a comment naming its legal set; one `kc_alloc_N` probe
// per instruction after an allocating call of the legal sets (allocation
// tracking); the seed of the checker's maps as JSON and as a C header the
// loader is built with; copies of the run time (runtime/bpf, runtime/include,
// runtime/loader) so the output directory compiles on its own. Policy names
// reach the C only through ./escape.ts; program names are generated.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ATTACHABLE_SYMBOL, INIT_SECTION, unionLegalSets } from '../policy/index.js';
import type { Access, AllocationSite, BinarySite, LegalSet, MemoryOperand, Policy } from '../policy/index.js';
import { KC } from './constants.js';
import { cComment, cString } from './escape.js';
import { kernelName, parseHolder, seedHeader, type SeedAlloc, type SeedRecipe, type SeedSite } from './seed.js';
import { EmitError } from './errors.js';
import { emitIndirectCalls, uncheckedIndirectCallRows, type IndirectCallEmit } from './icalls.js';

export type { SeedAlloc, SeedSite } from './seed.js';

/** Region bits (KC_R_* of runtime/include/kcompart.h, through the generated ./constants.ts). */
export const REGION = {
  stack: KC.R_STACK,
  global: KC.R_GLOBAL,
  slab: KC.R_SLAB,
  buddy: KC.R_BUDDY,
  vmalloc: KC.R_VMALLOC,
  percpu: KC.R_PERCPU,
  vmemmap: KC.R_VMEMMAP,
  any: KC.R_ANY,
} as const;

/** Most global ranges the checker scans for one site (KC_MAX_SITE_GLOBALS of kcompart.h). */
export const MAX_SITE_GLOBALS = KC.MAX_SITE_GLOBALS;

/**
 * The run time copied next to the generated program, by path under runtime/; each is written
 * flat (its base name) into the output: the BPF side (included by `<name>.bpf.c`) and the
 * loader's sources (compiled with the policy's seed header and skeleton).
 */
export const RUNTIME_FILES = [
  'include/kcompart.h',
  'bpf/maps.bpf.h',
  'bpf/checker.bpf.h',
  'bpf/track.bpf.h',
  'bpf/icall.bpf.h',
  'bpf/site.bpf.h',
  'include/kcicall.h',
  'loader/icalls.h',
  'loader/icalls.c',
  'loader/loader.h',
  'loader/main.c',
  'loader/kallsyms.c',
  'loader/seed.c',
  'loader/maps.c',
  'loader/attach.c',
  'loader/report.c',
  'loader/matrix.c',
  'loader/globals.c',
  'loader/place.c',
  'loader/fns.c',
] as const;

/** The loader's C sources among the copied files (compiled together by compileBpf). */
export const LOADER_SOURCES = RUNTIME_FILES.filter((f) => f.startsWith('loader/') && f.endsWith('.c')).map((f) => basename(f));

/** The names of the copied run-time files in the output (was: the copied templates). */
export const TEMPLATE_FILES: readonly string[] = RUNTIME_FILES.map((f) => basename(f));

/** The programs of runtime/bpf/ in every generated object besides site and allocation programs: kc_peek (run by the loader) and allocation tracking. */
export const RUNTIME_PROGRAMS = [
  'kc_peek',
  'kc_matrix',
  'kc_whereis',
  'kc_page_alloc',
  'kc_page_free',
  'kc_kmalloc',
  'kc_kmem_cache_alloc',
  'kc_free_kfree',
  'kc_free_cache',
  'kc_free_bulk',
  'kc_free_vfree',
  'kc_vmalloc_entry',
  'kc_vmalloc_ret',
  'kc_skb_install_1',
  'kc_skb_install_2',
  'kc_skb_ret',
] as const;

/** Site flags (KC_F_* of runtime/include/kcompart.h, through the generated ./constants.ts). */
export const SITE_FLAG = {
  trackedSlab: KC.F_TRACKED_SLAB,
  untrackedSlab: KC.F_UNTRACKED_SLAB,
  trackedBuddy: KC.F_TRACKED_BUDDY,
  untrackedBuddy: KC.F_UNTRACKED_BUDDY,
  trackedVmalloc: KC.F_TRACKED_VMALLOC,
  untrackedVmalloc: KC.F_UNTRACKED_VMALLOC,
  foreign: KC.F_FOREIGN,
  percpuAreas: KC.F_PERCPU_AREAS,
  percpuAny: KC.F_PERCPU_ANY,
  skbHead: KC.F_SKB_HEAD,
} as const;

/**
 * A legal set that allows per-cpu memory without naming it: a policy from before the per-cpu
 * variables were listed (no `percpuGlobals`, no `percpuAreas`). Any per-cpu memory stays legal.
 */
export function percpuUnbounded(legal: LegalSet): boolean {
  return legal.percpu && legal.percpuGlobals === undefined && legal.percpuAreas !== true;
}

export interface EmitOptions {
  /** Base name of the generated files (`<name>.bpf.c`, `<name>.seed.json`); a C-identifier-safe form is forced. Default `kcompart`. */
  readonly name?: string;
  /** Where runtime/ is; default: found above this module. */
  readonly runtimeDir?: string;
  /** @deprecated the former name of `runtimeDir` (bpf-templates/ became runtime/). */
  readonly templatesDir?: string;
  /**
   * How the sites are checked (issue 15): `data` (default) generates one `kc_site` program that the
   * loader attaches at every site, reading each site's effective-address recipe from a map, so the C
   * and the verifier's work do not grow with the number of sites; `per-site` generates one program
   * per site with its address expression compiled in.
   */
  readonly sitePrograms?: SiteProgramMode;
}

/** How the sites are checked: one data-driven program, or one generated program per site. */
export type SiteProgramMode = 'data' | 'per-site';

/** The site-program modes, the default first. */
export const SITE_PROGRAM_MODES: readonly SiteProgramMode[] = ['data', 'per-site'];

export interface EmittedFile {
  readonly name: string;
  readonly content: string;
}

/**
 * Why a binary site got no program. `init-text`: the site is in an `.init.*` section, code the kernel
 * runs once while the TU initializes (boot for built-in code, insmod for a module) and frees right
 * after, before a policy can be attached to it: it cannot run while the policy is loaded.
 */
export type SkipReason =
  | 'statically-safe'
  | 'unmapped'
  | 'no-operand'
  | 'rip-relative'
  | 'legal-any'
  | 'unsupported-register'
  | 'init-text';

/** One allocation probe program: the instruction after an allocating call, where `rax` is the result. */
export interface EmittedProbe {
  readonly program: string;
  /** Index of the allocation in the seed's `allocs` (what kc_track records). */
  readonly alloc: number;
  readonly site: string;
  /** The object file holding the call (places a static function that kallsyms repeats). */
  readonly object: string;
  readonly symbol: string;
  readonly offset: number;
}

/** One site program: its generated id and where it comes from. */
export interface EmittedSite {
  readonly id: number;
  readonly program: string;
  readonly access: string;
  readonly symbol: string;
  readonly offset: number;
  readonly regions: number;
  /** The C expression of the effective address over `ctx` (with `kc_reloc(id)` when the displacement is relocated). */
  readonly address: string;
  /** The C expression of the bytes written from `address` (a constant, or an argument register of a writer call). */
  readonly length: string;
  /** How the site is checked: one write of `length` bytes, a rep string store (rcx elements, DF), or a writer call. */
  readonly kind: SiteKind;
  /** The relocated displacement's symbol and addend, added by the loader (kc_relocs). */
  readonly reloc?: { readonly symbol: string; readonly addend: number };
  readonly gs: boolean;
  /** The same write as data: what the data-driven program reads from its recipe (kc_recipes). */
  readonly recipe: SiteRecipe;
}

/**
 * The effective address and length of a site's write as data (struct kc_recipe of
 * runtime/include/kcompart.h): `base + index * scale + disp` from pt_regs registers numbered as
 * x86-64 encodes them (KC_REG_*, `KC.REG_NONE` for none), `len` bytes (kind write), `len`-byte
 * elements times rcx (kind rep), or the value of register `lenReg` (kind writer; `len` when none).
 */
export type SiteRecipe = SeedRecipe;

/** How a site program computes the bytes it checks. */
export type SiteKind = SeedRecipe['kind'];

/** One machine site that gets no run-time check although it needs one: why, and where in the source. */
export interface UncheckedSite {
  readonly reason: 'any' | 'unmapped' | 'no-operand' | 'unsupported';
  readonly access: string;
  readonly function: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly symbol: string;
  readonly offset: number;
  /** The unmapped reason, the callee of a call without destination argument, the register pt_regs lacks. */
  readonly detail?: string;
}

/** The machine sites left unchecked, by reason, and the summary line `kcompart emit` prints. */
export interface UncheckedSummary {
  readonly total: number;
  readonly any: number;
  readonly unmapped: number;
  readonly noOperand: number;
  readonly unsupported: number;
  /** `unchecked: N machine sites (any A, unmapped U, no-operand O, unsupported X)` */
  readonly line: string;
  readonly sites: readonly UncheckedSite[];
}

export interface EmitStats {
  readonly accesses: number;
  readonly binarySites: number;
  readonly programs: number;
  readonly skipped: Readonly<Record<SkipReason, number>>;
  /**
   * Rip-relative writes resolved ahead of time (no program): by whether the target's symbol is in
   * the legal set, and for `%gs:`-relative ones (a per-cpu variable) by whether the set allows percpu.
   */
  readonly ripResolved: { readonly legal: number; readonly outside: number; readonly gsLegal: number; readonly gsOutside: number };
  readonly globals: number;
  readonly caches: number;
  /** Programs whose symbol cannot be a kernel symbol, so their section is a bare `kprobe` (the loader attaches them from the seed). */
  readonly unnamedSections: number;
  /** Site programs whose legal set names more globals than the checker scans (MAX_SITE_GLOBALS): the loader must widen them. */
  readonly overGlobalLimit: number;
  /** Machine sites folded into the program of another access on the same instruction (legal sets united). */
  readonly merged: number;
  /** Allocation sites named by the legal sets of site programs, by whether a probe records their objects. */
  readonly allocations: { readonly tracked: number; readonly untracked: number; readonly probes: number };
  /** Site programs by flag: some slab / buddy allocation of the set has no exact probe (its objects allocated before the load follow the old-objects rule). */
  readonly untrackedSites: { readonly slab: number; readonly buddy: number };
  /** Site programs with an allocation site that has no exact probe but is checked through its function's group (whole-kernel tracking). */
  readonly groupMapped: number;
  /** Analyzed functions in the seed (the groups of whole-kernel allocation tracking). */
  readonly functions: number;
  /**
   * Site programs by kind: writer calls checked at the call (`[dst, dst+len)` from the argument
   * registers; `startOnly`: a writer with no length argument, checked at its first byte), rep string
   * stores, and writes whose displacement is a relocation the loader resolves.
   */
  readonly kinds: { readonly writer: number; readonly writerStartOnly: number; readonly rep: number; readonly relocated: number };
  /** How the sites are checked: `data` (one program, `programs` recipes) or `per-site` (`programs` programs). */
  readonly siteMode: SiteProgramMode;
  /** BPF programs generated for the sites: 1 in data mode (0 without sites), else one per site. */
  readonly sitePrograms: number;
  /** BPF programs generated for the allocation probes: 1 in data mode (`kc_alloc`, the allocation id as cookie; 0 without probes), else one per probe. */
  readonly probePrograms: number;
}

export interface EmitResult {
  readonly files: EmittedFile[];
  readonly sites: EmittedSite[];
  readonly probes: EmittedProbe[];
  readonly stats: EmitStats;
  /** What needs a check and gets none (also written as `unchecked.txt`). */
  readonly unchecked: UncheckedSummary;
  /** The indirect-call checks (issue 16): programs, unchecked calls and their summary line (./icalls.ts). */
  readonly icalls: Omit<IndirectCallEmit, 'programs' | 'seed'>;
}

/** The argument registers of the x86-64 System V calling convention, by argument index (pt_regs fields). */
export const ARGUMENT_REGISTERS = ['di', 'si', 'dx', 'cx', 'r8', 'r9'] as const;

/** x86-64 register → its `struct pt_regs` field, its encoding number (KC_REG_*), and whether the name is a 32-bit view. */
const REGS: Record<string, { field: string; num: number; bits: 64 | 32 }> = {};
for (const [r64, r32, field, num] of [
  ['rax', 'eax', 'ax', KC.REG_AX],
  ['rbx', 'ebx', 'bx', KC.REG_BX],
  ['rcx', 'ecx', 'cx', KC.REG_CX],
  ['rdx', 'edx', 'dx', KC.REG_DX],
  ['rsi', 'esi', 'si', KC.REG_SI],
  ['rdi', 'edi', 'di', KC.REG_DI],
  ['rbp', 'ebp', 'bp', KC.REG_BP],
  ['rsp', 'esp', 'sp', KC.REG_SP],
] as const) {
  REGS[r64] = { field, num, bits: 64 };
  REGS[r32] = { field, num, bits: 32 };
}
for (let n = 8; n <= 15; n++) {
  REGS[`r${n}`] = { field: `r${n}`, num: n, bits: 64 };
  REGS[`r${n}d`] = { field: `r${n}`, num: n, bits: 32 };
}

/** The register number (KC_REG_*) of a pt_regs field name (`di`, `r8`): the writer calls' argument registers. */
function fieldNumber(field: string): number {
  const r = Object.values(REGS).find((x) => x.field === field && x.bits === 64);
  if (r === undefined) throw new EmitError(`no pt_regs register ${field}`);
  return r.num;
}

/** `ctx->field` as an unsigned 64-bit C expression, or undefined for a register pt_regs does not hold. */
function regExpr(reg: string): string | undefined {
  const r = REGS[reg];
  if (r === undefined) return undefined;
  return r.bits === 64 ? `ctx->${r.field}` : `(__u64)(__u32)ctx->${r.field}`;
}

/** The effective address of a memory operand over `ctx`, or undefined when it cannot be computed from pt_regs. */
export function addressExpression(op: MemoryOperand): string | undefined {
  const terms: string[] = [];
  if (op.base !== undefined) {
    const b = regExpr(op.base);
    if (b === undefined) return undefined;
    terms.push(b);
  }
  if (op.index !== undefined) {
    const i = regExpr(op.index);
    if (i === undefined || ![1, 2, 4, 8].includes(op.scale)) return undefined;
    terms.push(op.scale === 1 ? i : `${i} * ${op.scale}`);
  }
  if (!Number.isSafeInteger(op.displacement)) return undefined;
  if (op.displacement !== 0 || terms.length === 0) {
    terms.push(op.displacement < 0 ? `(__u64)(${op.displacement}LL)` : `${op.displacement}ULL`);
  }
  return terms.join(' + ');
}

/**
 * The address part of a memory operand as a recipe, under exactly the conditions of
 * {@link addressExpression} (undefined when it cannot be computed from pt_regs).
 */
export function operandRecipe(op: MemoryOperand): Pick<SiteRecipe, 'base' | 'index' | 'scale' | 'disp' | 'base32' | 'index32'> | undefined {
  if (addressExpression(op) === undefined) return undefined;
  const b = op.base !== undefined ? REGS[op.base] : undefined;
  const i = op.index !== undefined ? REGS[op.index] : undefined;
  return {
    base: b?.num ?? KC.REG_NONE,
    index: i?.num ?? KC.REG_NONE,
    scale: i ? op.scale : 1,
    disp: op.displacement,
    base32: b?.bits === 32,
    index32: i?.bits === 32,
  };
}

/** The region bits of a legal set. */
export function regionBits(legal: LegalSet): number {
  if (legal.any) return REGION.any;
  let r = 0;
  if (legal.stack) r |= REGION.stack;
  if (legal.globals.length > 0) r |= REGION.global;
  if (legal.slabCaches.length > 0 || legal.slabSites.length > 0) r |= REGION.slab;
  if (legal.buddySites.length > 0) r |= REGION.buddy;
  if (legal.vmallocCallers.length > 0) r |= REGION.vmalloc;
  if (legal.percpu) r |= REGION.percpu;
  if (legal.vmemmap) r |= REGION.vmemmap;
  // an skb head buffer is a kmalloc object, a buddy block (a page fragment, a large kmalloc) or a
  // vmalloc area (netlink's large skbs): the class is checked in each
  if (legal.classes?.includes('skb-head')) r |= REGION.slab | REGION.buddy | REGION.vmalloc;
  return r >>> 0;
}

/** `sym+0x10` / `module::sym` → the bare symbol name. */
function ripSymbol(target: string): string {
  const plus = target.search(/[+-]0x[0-9a-f]+$|[+-]\d+$/i);
  return plus > 0 ? target.slice(0, plus) : target;
}

function globalMatches(legal: LegalSet, symbol: string): boolean {
  return legal.globals.some((g) => g === symbol || g.endsWith(`::${symbol}`));
}

/**
 * The section of a site program. The section attribute takes an unevaluated
 * string literal, where clang accepts no numeric escape, so only a name that
 * can be a kernel symbol (nothing to escape) is written there; any other name
 * gets a bare `"kprobe"` section (the loader attaches it from the seed data)
 * and reaches the C only in an escaped comment.
 */
export function sectionName(symbol: string, offset: number): string {
  if (!ATTACHABLE_SYMBOL.test(symbol) || !Number.isSafeInteger(offset) || offset < 0) return '"kprobe"';
  return cString(`kprobe/${symbol}+0x${offset.toString(16)}`);
}

/** Finds runtime/ above this module (src/emit or dist/src/emit). */
export function defaultRuntimeDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const cand = join(dir, 'runtime');
    if (existsSync(join(cand, 'bpf', 'checker.bpf.h'))) return cand;
    dir = dirname(dir);
  }
  throw new EmitError('runtime/ not found above src/emit; pass options.runtimeDir');
}

/** @deprecated the former name of {@link defaultRuntimeDir}. */
export const defaultTemplatesDir = defaultRuntimeDir;

/** The C identifier of a policy's skeleton (`bpftool gen skeleton … name <it>`): struct <it>, <it>__open(). */
export function skeletonName(base: string): string {
  const n = base.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(n) ? `kc_${n}` : n;
}

function safeBaseName(name: string): string {
  const n = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return n === '' ? 'kcompart' : n;
}

/** The accesses mapped to one instruction, with the union of their legal sets. */
interface SiteGroup {
  readonly b: BinarySite;
  readonly accesses: Access[];
  legal: LegalSet;
  readonly address: string;
  readonly length: string;
  readonly kind: SiteKind;
  readonly reloc?: { readonly symbol: string; readonly addend: number };
  readonly gs: boolean;
  readonly recipe: SiteRecipe;
}

/**
 * The union of two legal sets: what either access may write (policy/legal-set.ts
 * {@link unionLegalSets}, which keeps "per-cpu memory of no named variable" and "foreign objects of
 * no named type" unbounded rather than narrowing them to the other set's names).
 */
export function unionLegal(x: LegalSet, y: LegalSet): LegalSet {
  return unionLegalSets([x, y]);
}

/** The probe points of an allocation site (filled by the binary mapper; absent before mapping). */
interface ProbePoint {
  readonly object: string;
  readonly symbol: string;
  readonly offset: number;
  readonly confidence?: string;
}

function probesOf(site: AllocationSite): readonly ProbePoint[] {
  const p = (site as AllocationSite & { probes?: readonly ProbePoint[] }).probes;
  return (p ?? []).filter((x) => x.confidence !== 'unmapped' && Number.isSafeInteger(x.offset) && x.offset >= 0);
}

/** Comment lines (` * …`) listing `label: a, b, c`, wrapped near 100 columns; names escaped. */
function commentList(label: string, items: readonly string[]): string {
  if (items.length === 0) return '';
  const lines: string[] = [];
  let line = ` *   ${label}:`;
  items.forEach((item, k) => {
    const word = ` ${cComment(item)}${k + 1 < items.length ? ',' : ''}`;
    if (line.length + word.length > 100 && !line.endsWith(':')) {
      lines.push(line);
      line = ' *    ';
    }
    line += word;
  });
  lines.push(line);
  return `${lines.join('\n')}\n`;
}

/** The legal set of a site program as comment lines: regions, flags, and every name it allows. */
function legalSetComment(legal: LegalSet, regions: number, flags: number, allocId: (site: string) => number | undefined): string {
  const regionNames = Object.entries(REGION)
    .filter(([k, bit]) => k !== 'any' && (regions & bit) !== 0)
    .map(([k]) => k);
  const flagNames = Object.entries(SITE_FLAG)
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([k]) => k.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`));
  const tracked = (sid: string): string => {
    const n = allocId(sid);
    return n === undefined || n < 0 ? `${sid} (untracked)` : `${sid} (alloc ${n})`;
  };
  return (
    ` * legal set: ${regionNames.join(' ') || 'nothing'}${flagNames.length ? `; flags ${flagNames.join(' ')}` : ''}\n` +
    commentList('globals', legal.globals) +
    commentList('per-cpu variables', legal.percpuGlobals ?? []) +
    commentList('slab caches', legal.slabCaches) +
    commentList('slab allocation sites', legal.slabSites.map(tracked)) +
    commentList('buddy allocation sites', legal.buddySites.map(tracked)) +
    commentList('vmalloc callers', legal.vmallocCallers) +
    commentList(
      'foreign objects of',
      (legal.foreignTypes ?? []).map((t) => (t.size ? `${t.name} (${t.size} bytes)` : t.name)),
    ) +
    commentList('run-time classes', legal.classes ?? [])
  );
}

/**
 * The analyzed functions the run time attributes whole-kernel allocations to (kernel names, sorted):
 * every function of the compartment and every function containing an allocation site (the
 * compartment's and its context's). A frame in one of them stops the search for an allocation's
 * owner; one holding no allocation site means the object came from code the analysis does not see.
 */
export function analyzedFunctions(policy: Policy): string[] {
  const out = new Set<string>();
  for (const f of policy.compartment.functions) out.add(kernelName(f));
  for (const s of policy.allocationSites) out.add(kernelName(s.caller));
  return [...out].filter((f) => ATTACHABLE_SYMBOL.test(f)).sort();
}

/**
 * Generates the BPF C of a mapped policy: `<name>.bpf.c` (one program per
 * run-time-checked site, its legal set named in the comment above it),
 * `<name>.seed.json` and `<name>.seed.h` (the legal sets by site id, for the
 * loader) and copies of the run time (RUNTIME_FILES, written flat).
 */
export function emitBpf(policy: Policy, options: EmitOptions = {}): EmitResult {
  const base = safeBaseName(options.name ?? 'kcompart');
  const mode: SiteProgramMode = options.sitePrograms ?? 'data';
  if (!SITE_PROGRAM_MODES.includes(mode))
    throw new EmitError(`sitePrograms: expected ${SITE_PROGRAM_MODES.join(' or ')}, got ${String(mode)}`);
  const runtime = resolve(options.runtimeDir ?? options.templatesDir ?? defaultRuntimeDir());
  const skipped: Record<SkipReason, number> = {
    'statically-safe': 0,
    unmapped: 0,
    'no-operand': 0,
    'rip-relative': 0,
    'legal-any': 0,
    'unsupported-register': 0,
    'init-text': 0,
  };
  const ripResolved = { legal: 0, outside: 0, gsLegal: 0, gsOutside: 0 };
  const sites: EmittedSite[] = [];
  const seeds: SeedSite[] = [];
  const globals = new Set<string>();
  const caches = new Set<string>();
  let binarySites = 0;
  let unnamedSections = 0;
  let overGlobalLimit = 0;
  const programs: string[] = [];
  const siteById = new Map(policy.allocationSites.map((x) => [x.id, x]));
  const allocs: SeedAlloc[] = [];
  const allocIds = new Map<string, number>();
  const probes: EmittedProbe[] = [];
  let untrackedAllocs = 0;
  const untrackedSites = { slab: 0, buddy: 0 };
  // whole-kernel allocation tracking (track.bpf.h): the analyzed functions, each a group of the IR
  // allocation sites it contains; what the kernel allocates inside function g while the policy is
  // loaded is recorded as KC_FN_ALLOC_BASE + g (the innermost analyzed frame of the allocation)
  const fns = analyzedFunctions(policy);
  const fnIndex = new Map(fns.map((f, i) => [f, i]));
  const sitesByCaller = new Map<string, AllocationSite[]>();
  for (const s of policy.allocationSites) {
    const k = kernelName(s.caller);
    const l = sitesByCaller.get(k);
    if (l) l.push(s);
    else sitesByCaller.set(k, [s]);
  }
  /** The group of `fn` and, through the allocation wrappers it calls that are analyzed, theirs (to a fixpoint). */
  const functionGroups = (fn: string, out: Set<number>): void => {
    const g = fnIndex.get(fn);
    if (g === undefined || out.has(KC.FN_ALLOC_BASE + g)) return;
    out.add(KC.FN_ALLOC_BASE + g);
    for (const s of sitesByCaller.get(fn) ?? []) functionGroups(kernelName(s.allocator), out);
  };
  const groupMemo = new Map<string, readonly number[]>();
  let groupMapped = 0;
  /**
   * The allocation ids of the function groups holding the objects of allocation site `id`: its caller's
   * group (a sound widening: the union of every site of that function), and when its allocator is an
   * analyzed wrapper, the wrapper's group (the object is allocated inside the wrapper's frame).
   */
  const groupIds = (id: string): readonly number[] => {
    const known = groupMemo.get(id);
    if (known) return known;
    const site = siteById.get(id);
    const out = new Set<number>();
    if (site) {
      const g = fnIndex.get(kernelName(site.caller));
      if (g !== undefined) out.add(KC.FN_ALLOC_BASE + g);
      functionGroups(kernelName(site.allocator), out);
    }
    const ids = [...out].sort((x, y) => x - y);
    groupMemo.set(id, ids);
    return ids;
  };
  /** The allocation id of a probe-tracked site, or undefined when no probe can record its objects. */
  const trackedAlloc = (id: string): number | undefined => {
    const known = allocIds.get(id);
    if (known !== undefined) return known < 0 ? undefined : known;
    const site = siteById.get(id);
    const points = site ? probesOf(site) : [];
    if (!site || points.length === 0) {
      allocIds.set(id, -1);
      untrackedAllocs++;
      return undefined;
    }
    const n = allocs.length;
    allocIds.set(id, n);
    const at = site.location[0];
    allocs.push({
      id: n,
      site: id,
      kind: site.kind,
      allocator: site.allocator,
      caller: site.caller,
      file: at?.file ?? '',
      line: at?.line ?? 0,
    });
    for (const pt of points) {
      if (!ATTACHABLE_SYMBOL.test(pt.symbol)) continue;
      const program = `kc_alloc_${probes.length}`;
      probes.push({ program, alloc: n, site: id, object: pt.object, symbol: pt.symbol, offset: pt.offset });
    }
    return n;
  };
  const flagsOf = (legal: LegalSet, ids: number[]): number => {
    let f = 0;
    // an exact probe records the site's own objects; its function group records what the rest of the
    // kernel allocates inside that function (context sites without an object file, refused probes).
    // A site with no exact probe stays UNTRACKED: its objects allocated before the load have no record
    // and follow the old-objects rule; those allocated after it are recorded and checked by group.
    let grouped = false;
    for (const sid of legal.slabSites) {
      const n = trackedAlloc(sid);
      const g = groupIds(sid);
      if (n === undefined) f |= SITE_FLAG.untrackedSlab;
      else ids.push(n);
      if (n !== undefined || g.length) f |= SITE_FLAG.trackedSlab;
      if (n === undefined && g.length) grouped = true;
      ids.push(...g);
    }
    for (const sid of legal.buddySites) {
      const n = trackedAlloc(sid);
      const g = groupIds(sid);
      if (n === undefined) f |= SITE_FLAG.untrackedBuddy;
      else ids.push(n);
      if (n !== undefined || g.length) f |= SITE_FLAG.trackedBuddy;
      if (n === undefined && g.length) grouped = true;
      ids.push(...g);
    }
    if (grouped) groupMapped++;
    // vmalloc areas are recorded by caller function; the loader widens a caller it cannot resolve
    if (legal.vmallocCallers.length > 0) f |= SITE_FLAG.trackedVmalloc;
    if (legal.foreign) f |= SITE_FLAG.foreign;
    if (legal.percpuAreas) f |= SITE_FLAG.percpuAreas;
    if (percpuUnbounded(legal)) f |= SITE_FLAG.percpuAny;
    if (f & SITE_FLAG.untrackedSlab) untrackedSites.slab++;
    if (f & SITE_FLAG.untrackedBuddy) untrackedSites.buddy++;
    // the class is registered only for heads made while the policy is loaded: an older head is
    // unrecorded memory, which the old-objects rule decides (the UNTRACKED reading), while recorded
    // memory that is no head is a violation (no allocation id names it)
    if (legal.classes?.includes('skb-head'))
      f |= SITE_FLAG.skbHead | SITE_FLAG.untrackedSlab | SITE_FLAG.untrackedBuddy | SITE_FLAG.untrackedVmalloc;
    return f;
  };

  const groups = new Map<string, SiteGroup>();
  let merged = 0;
  const consider = (a: Access, b: BinarySite): void => {
    binarySites++;
    if (b.staticallySafe === true) return void skipped['statically-safe']++;
    // an unmapped write into a fixed slot of its own frame is statically safe by its IR address
    if (b.confidence === 'unmapped') return void (a.frameSlot === true ? skipped['statically-safe']++ : skipped.unmapped++);
    // freed once the TU is initialized: a probe there is refused (EINVAL) and the write cannot run again
    if (INIT_SECTION.test(b.section)) return void skipped['init-text']++;
    const op = b.operand;
    if (op === undefined) {
      // a writer call: its callee writes [dst, dst + len) from the argument registers at the call
      const w = a.writer;
      const isCall = b.call === true || /: the callee performs the write/.test(b.reason ?? '');
      if (w === undefined || !isCall) return void noOperand(a, b);
      const dst = ARGUMENT_REGISTERS[w.destination];
      const lenReg = w.lengthArgument !== undefined ? ARGUMENT_REGISTERS[w.lengthArgument] : undefined;
      if (dst === undefined || (w.lengthArgument !== undefined && lenReg === undefined)) {
        return void unsupported(a, b, `argument ${Math.max(w.destination, w.lengthArgument ?? 0)} is not in a register`);
      }
      const length = lenReg !== undefined ? `ctx->${lenReg}` : w.length !== undefined ? `${w.length}ULL` : '1ULL';
      const recipe: SiteRecipe = {
        base: fieldNumber(dst),
        index: KC.REG_NONE,
        scale: 1,
        disp: 0,
        base32: false,
        index32: false,
        kind: 'writer',
        len: lenReg !== undefined ? 0 : (w.length ?? 1),
        lenReg: lenReg !== undefined ? fieldNumber(lenReg) : KC.REG_NONE,
      };
      return void group(a, b, { address: `ctx->${dst}`, length, kind: 'writer', gs: false, recipe });
    }
    if (op.base === 'rip') {
      skipped['rip-relative']++;
      // %gs:sym(%rip): this CPU's copy of a per-cpu variable, legal exactly when the set names it
      // (or, for a policy that names no per-cpu variable, allows per-cpu memory)
      if (op.segment === 'gs') {
        const sym = op.ripTarget !== undefined ? ripSymbol(op.ripTarget) : undefined;
        const named = sym !== undefined && (a.legal.percpuGlobals ?? []).some((g) => kernelName(g) === sym);
        if (a.legal.any || percpuUnbounded(a.legal) || named) ripResolved.gsLegal++;
        else ripResolved.gsOutside++;
        return;
      }
      if (a.legal.any) ripResolved.legal++;
      else if (op.ripTarget !== undefined && globalMatches(a.legal, ripSymbol(op.ripTarget))) ripResolved.legal++;
      else ripResolved.outside++;
      return;
    }
    const gs = op.segment === 'gs';
    // a covering check (map's coverage proof): the extent of the writes it covers, from the same registers
    const extent = b.extent !== undefined && op.segment === undefined && op.repElement === undefined ? b.extent : undefined;
    const checked = extent ? { ...op, displacement: extent.from } : op;
    const address = op.segment === undefined || gs ? addressExpression(checked) : undefined;
    const at = address !== undefined ? operandRecipe(checked) : undefined;
    if (address === undefined || at === undefined)
      return void unsupported(a, b, `operand ${op.segment ? `${op.segment}:` : ''}${op.base ?? ''}${op.index ? `,${op.index}` : ''}`);
    // a gs-relative displacement's symbol is a per-cpu variable: its kallsyms value is its offset
    const reloc = op.displacementTarget !== undefined ? parseHolder(op.displacementTarget) : undefined;
    const relocOf = reloc ? { symbol: reloc.symbol, addend: reloc.offset } : undefined;
    if (op.repElement !== undefined && op.width === 0) {
      const recipe: SiteRecipe = { ...at, kind: 'rep', len: op.repElement, lenReg: KC.REG_NONE };
      return void group(a, b, { address, length: `${op.repElement}ULL`, kind: 'rep', gs, recipe, ...(relocOf ? { reloc: relocOf } : {}) });
    }
    const length = extent ? extent.to - extent.from : Math.max(1, op.width);
    const recipe: SiteRecipe = { ...at, kind: 'write', len: length, lenReg: KC.REG_NONE };
    group(a, b, { address, length: `${length}ULL`, kind: 'write', gs, recipe, ...(relocOf ? { reloc: relocOf } : {}) });
  };
  const unchecked: UncheckedSite[] = [];
  const uncheckedOf = (reason: UncheckedSite['reason'], a: Access, b: BinarySite, detail?: string): void => {
    const at = a.location[0];
    unchecked.push({
      reason,
      access: a.id,
      function: a.function,
      file: at?.file ?? '',
      line: at?.line ?? 0,
      column: at?.column ?? 0,
      symbol: b.symbol,
      offset: b.offset,
      ...(detail !== undefined ? { detail } : {}),
    });
  };
  const noOperand = (a: Access, b: BinarySite): void => {
    skipped['no-operand']++;
    uncheckedOf(
      'no-operand',
      a,
      b,
      a.callee !== undefined ? `call of ${a.callee}${a.writer === undefined ? ' (no destination argument)' : ''}` : undefined,
    );
  };
  const unsupported = (a: Access, b: BinarySite, detail: string): void => {
    skipped['unsupported-register']++;
    uncheckedOf('unsupported', a, b, detail);
  };
  // several IR writes mapped to one instruction (inlined copies, ambiguous rows) share one
  // program whose legal set is the union of theirs: sound, and one probe per address
  const group = (a: Access, b: BinarySite, r: Pick<SiteGroup, 'address' | 'length' | 'kind' | 'reloc' | 'gs' | 'recipe'>): void => {
    const key = `${b.object}\0${b.symbol}\0${b.offset}\0${r.kind}\0${r.address}\0${r.length}`;
    const g = groups.get(key);
    if (g) {
      g.accesses.push(a);
      g.legal = unionLegal(g.legal, a.legal);
      merged++;
    } else {
      groups.set(key, { b, accesses: [a], legal: a.legal, ...r });
    }
  };
  const kinds = { writer: 0, writerStartOnly: 0, rep: 0, relocated: 0 };
  const generate = (grp: SiteGroup): void => {
    const { b, legal, gs, kind, reloc } = grp;
    const a = grp.accesses[0]!;
    if (legal.any) {
      skipped['legal-any'] += grp.accesses.length;
      for (const x of grp.accesses) uncheckedOf('any', x, b);
      return;
    }
    if (!ATTACHABLE_SYMBOL.test(b.symbol)) unnamedSections++;
    if (legal.globals.length > MAX_SITE_GLOBALS) overGlobalLimit++;
    const id = sites.length;
    const program = `kc_site_${id}`;
    // a relocated displacement: the loader writes the symbol's address + addend into kc_relocs[id]
    const address = reloc
      ? `${grp.address} + kc_reloc(${id}u) /* ${cComment(`${reloc.symbol}${reloc.addend ? `${reloc.addend < 0 ? '-' : '+'}0x${Math.abs(reloc.addend).toString(16)}` : ''}`)} */`
      : grp.address;
    const length = grp.length;
    if (kind === 'writer') kinds.writer++;
    if (kind === 'writer' && length === '1ULL') kinds.writerStartOnly++;
    if (kind === 'rep') kinds.rep++;
    if (reloc) kinds.relocated++;
    const regions = regionBits(legal);
    const ids: number[] = [];
    const flags = flagsOf(legal, ids);
    sites.push({
      id,
      program,
      access: a.id,
      symbol: b.symbol,
      offset: b.offset,
      regions,
      address,
      length,
      kind,
      ...(reloc ? { reloc } : {}),
      gs,
      recipe: grp.recipe,
    });
    const where0 = a.location[0];
    seeds.push({
      id,
      access: a.id,
      object: b.object,
      symbol: b.symbol,
      offset: b.offset,
      regions,
      gs,
      globals: legal.globals,
      ...(legal.percpuGlobals?.length ? { percpuGlobals: legal.percpuGlobals } : {}),
      slabCaches: legal.slabCaches,
      slabSites: legal.slabSites,
      buddySites: legal.buddySites,
      vmallocCallers: legal.vmallocCallers,
      flags,
      allocs: [...new Set(ids)].sort((x, y) => x - y),
      foreignSizes: [...new Set((legal.foreignTypes ?? []).flatMap((t) => (t.size ? [t.size] : [])))].sort((x, y) => x - y),
      function: a.function,
      file: where0?.file ?? '',
      line: where0?.line ?? 0,
      column: where0?.column ?? 0,
      ...(grp.accesses.length > 1 ? { accesses: grp.accesses.map((x) => x.id) } : {}),
      ...(reloc ? { reloc } : {}),
      kind,
      recipe: grp.recipe,
    });
    for (const x of legal.globals) globals.add(x);
    for (const c of legal.slabCaches) caches.add(c);
    if (mode === 'data') return; // the recipe is in the seed; one program checks every site
    const where = a.location[0];
    const siteArg = gs ? `${id}u | KC_SITE_GS` : `${id}u`;
    const more = grp.accesses.length > 1 ? ` (+${grp.accesses.length - 1} more accesses on this instruction)` : '';
    const what =
      kind === 'writer'
        ? ` * checks: the call's write [dst, dst + len) of ${cComment(a.callee ?? '?')}${length === '1ULL' ? ' (no length argument: its first byte)' : ''}\n`
        : kind === 'rep'
          ? ` * checks: the rep string store's rcx elements of ${length.replace('ULL', '')} bytes from rdi, up or down by DF\n`
          : '';
    const body =
      kind === 'rep'
        ? `kc_site_check_rep(ctx, ${siteArg}, ${address}, ctx->cx, ${length}, ctx->flags, ctx->sp);`
        : `kc_site_check(ctx, ${siteArg}, ${address}, ${length}, ctx->sp);`;
    programs.push(
      `/* site ${id}: access ${cComment(a.id)}${more} in ${cComment(a.function)}` +
        (where ? ` at ${cComment(where.file)}:${where.line}:${where.column}` : '') +
        `; ${cComment(b.symbol)}+0x${b.offset.toString(16)} in ${cComment(b.object)}\n` +
        legalSetComment(legal, regions, flags, (sid) => allocIds.get(sid)) +
        what +
        ` */\n` +
        `SEC(${sectionName(b.symbol, b.offset)})\n` +
        `int ${program}(struct pt_regs *ctx)\n{\n\t${body}\n\treturn 0;\n}\n`,
    );
  };
  // an unmapped access whose function's orphan writes have a fallback access (binary/orphans.ts)
  const behindFallback = new Map<string, string>();
  for (const f of policy.accesses)
    if (f.fallback?.basis === 'unmapped' && !f.legal.any && (f.binary?.length ?? 0) > 0)
      for (const id of f.fallback.accesses) behindFallback.set(id, f.id);
  for (const a of policy.accesses) {
    for (const b of a.binary ?? []) {
      const before = skipped.unmapped;
      consider(a, b);
      const fb = behindFallback.get(a.id);
      if (skipped.unmapped > before)
        uncheckedOf('unmapped', a, b, fb === undefined ? b.reason : `${b.reason ?? 'unmapped'}; behind fallback ${fb}`);
    }
  }
  for (const grp of groups.values()) generate(grp);
  // data mode: one allocation probe too, attached after every allocating call with the allocation id as cookie
  const probePrograms =
    mode === 'data' && probes.length > 0
      ? [
          `/* The allocation probe of all ${probes.length} probe points (the instruction after an allocating call, where rax is\n` +
            ` * the new object): the loader attaches it at each with the allocation id as BPF cookie (${cComment(base)}.seed.h). */\n` +
            `SEC("kprobe")\nint kc_alloc(struct pt_regs *ctx)\n{\n\tkc_track((__u32)bpf_get_attach_cookie(ctx), ctx->ax);\n\treturn 0;\n}\n`,
        ]
      : probes.map((p) => {
          const a = allocs[p.alloc]!;
          return (
            `/* allocation ${p.alloc}: ${cComment(a.site)} (${cComment(a.allocator)}) at ${cComment(a.file)}:${a.line}; ` +
            `after the call at ${cComment(p.symbol)}+0x${p.offset.toString(16)} */\n` +
            `SEC(${sectionName(p.symbol, p.offset)})\n` +
            `int ${p.program}(struct pt_regs *ctx)\n{\n\tkc_track(${p.alloc}u, ctx->ax);\n\treturn 0;\n}\n`
          );
        });

  if (mode === 'data' && sites.length > 0) {
    programs.push(
      `/* The site program of all ${sites.length} checked sites (site.bpf.h): the loader attaches it at each site's
` +
        ` * symbol+offset with the site id as BPF cookie, and fills the site's effective-address recipe
` +
        ` * (kc_recipes) and legal set from ${cComment(base)}.seed.h; ${cComment(base)}.seed.json names each site's
` +
        ` * access, source line and legal set. */
` +
        `SEC("kprobe")
int kc_site(struct pt_regs *ctx)
{
	kc_site_recipe(ctx, ctx, (__u32)bpf_get_attach_cookie(ctx));
	return 0;
}
`,
    );
  }
  const icalls = emitIndirectCalls(policy);
  const c =
    `/* SPDX-License-Identifier: GPL-2.0 */\n` +
    `/* Generated by kcompart from the policy of compartment ${cComment(policy.compartment.name)}:\n` +
    (mode === 'data'
      ? ` * ${sites.length} checked sites (one data-driven site program), ${probes.length} allocation probes (DESIGN.md section 5). Do not edit.\n` +
        ` * The sites' legal sets and recipes are data (${cComment(base)}.seed.h). The maps,\n`
      : ` * ${sites.length} site programs, ${probes.length} allocation probes (DESIGN.md section 5). Do not edit.\n` +
        ` * Each site program's comment names its legal set: what the write may touch. The maps,\n`) +
    ` * the checker and the allocation tracking are the run time's (maps.bpf.h, checker.bpf.h,\n` +
    ` * track.bpf.h, copied from runtime/bpf/); the loader fills the maps from ${cComment(base)}.seed.h. */\n` +
    `#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_core_read.h>\n#include <bpf/bpf_tracing.h>\n` +
    `#include "checker.bpf.h"\n#include "track.bpf.h"\n#include "icall.bpf.h"\n` +
    (mode === 'data' ? `#include "site.bpf.h"\n` : '') +
    `\n` +
    programs.join('\n') +
    (programs.length ? '\n' : '') +
    probePrograms.join('\n') +
    (probePrograms.length ? '\n' : '') +
    icalls.programs +
    (icalls.programs.length ? '\n' : '') +
    `char LICENSE[] SEC("license") = "GPL";\n`;

  // integrity: the seed's hash, compiled into both the object (kc_policy_hash) and the loader (KC_SEED_HASH)
  const seedH = seedHeader(policy, seeds, allocs, probes, fns, mode) + icalls.seed;
  const hash = `0x${createHash('sha256').update(seedH).update('\0').update(c).digest('hex').slice(0, 16)}`;
  const cHashed = c.replace(
    '#include "vmlinux.h"\n',
    `#define KC_POLICY_HASH ${hash}ULL /* the seed's, checked by the loader */\n#include "vmlinux.h"\n`,
  );
  const files: EmittedFile[] = [{ name: `${base}.bpf.c`, content: cHashed }];
  files.push({
    name: `${base}.seed.json`,
    content: `${JSON.stringify({ schema: 'kcompart.bpf-seed', version: 2, compartment: policy.compartment.name, hash, sitePrograms: mode, sites: seeds, allocs, probes, caches: policy.caches, fns }, null, 1)}\n`,
  });
  files.push({
    name: `${base}.seed.h`,
    content: `${seedH}\n/* the hash of this seed (before this line) and of ${cComment(base)}.bpf.c, also compiled into the BPF object */\n#define KC_SEED_HASH ${hash}ULL\n`,
  });
  const summary = uncheckedSummary(unchecked);
  files.push({
    name: 'unchecked.txt',
    content: `${uncheckedText(policy, summary)}# ${icalls.line}\n${uncheckedIndirectCallRows(icalls.unchecked)}`,
  });
  for (const t of RUNTIME_FILES) {
    const p = join(runtime, t);
    if (!existsSync(p)) throw new EmitError(`run-time file ${t} missing in ${runtime}`);
    files.push({ name: basename(t), content: readFileSync(p, 'utf8') });
  }
  return {
    files,
    sites,
    probes,
    stats: {
      accesses: policy.accesses.length,
      binarySites,
      programs: sites.length,
      skipped,
      ripResolved,
      globals: globals.size,
      caches: caches.size,
      unnamedSections,
      overGlobalLimit,
      merged,
      allocations: { tracked: allocs.length, untracked: untrackedAllocs, probes: probes.length },
      untrackedSites,
      groupMapped,
      functions: fns.length,
      kinds,
      siteMode: mode,
      sitePrograms: mode === 'data' ? Math.min(1, sites.length) : sites.length,
      probePrograms: mode === 'data' ? Math.min(1, probes.length) : probes.length,
    },
    unchecked: summary,
    icalls: { sites: icalls.sites, unchecked: icalls.unchecked, stats: icalls.stats, line: icalls.line },
  };
}

/** Counts unchecked sites by reason, with the line `kcompart emit` prints. */
export function uncheckedSummary(sites: readonly UncheckedSite[]): UncheckedSummary {
  const n = (r: UncheckedSite['reason']): number => sites.filter((x) => x.reason === r).length;
  const any = n('any'),
    unmapped = n('unmapped'),
    behind = sites.filter((x) => x.reason === 'unmapped' && /; behind fallback /.test(x.detail ?? '')).length,
    noOperand = n('no-operand'),
    unsupported = n('unsupported');
  return {
    total: sites.length,
    any,
    unmapped,
    noOperand,
    unsupported,
    sites,
    line: `unchecked: ${sites.length} machine sites (any ${any}, unmapped ${unmapped}${behind ? ` of which ${behind} behind a fallback's orphan-write checks` : ''}, no-operand ${noOperand}, unsupported ${unsupported})`,
  };
}

/** `unchecked.txt`: the summary line, then one line per unchecked machine site: reason, source line, function, probe address, access, detail. */
function uncheckedText(policy: Policy, u: UncheckedSummary): string {
  const clean = (s: string): string => s.replace(/[\t\n\r]/g, ' ');
  const rows = [...u.sites]
    .sort(
      (x, y) =>
        x.reason.localeCompare(y.reason) || x.file.localeCompare(y.file) || x.line - y.line || x.column - y.column || x.offset - y.offset,
    )
    .map((x) =>
      [x.reason, `${x.file}:${x.line}:${x.column}`, x.function, `${x.symbol}+0x${x.offset.toString(16)}`, x.access, x.detail ?? '']
        .map(clean)
        .join('\t'),
    );
  return (
    `# kcompart: machine sites of compartment ${clean(policy.compartment.name)} that need a run-time check and get none\n` +
    `# ${u.line}\n` +
    `# Writes done on the compartment's behalf inside functions outside it, other than the writer calls\n` +
    `# checked at the call (the writer table), are out of scope: they are not sites of this policy.\n` +
    `# reason\tsource\tfunction\tprobe\taccess\tdetail\n` +
    rows.map((r) => `${r}\n`).join('')
  );
}
