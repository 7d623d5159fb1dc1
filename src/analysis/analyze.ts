// The analysis pipeline (DESIGN.md §3): link the modules, choose the
// compartment's functions, find allocation sites and caches, solve points-to,
// and give every write of the compartment its legal set — the policy at IR level.
import { readFile } from 'node:fs/promises';
import { type BtfTypes, readBtfFile } from '../btf/index.js';
import { filePathOf } from '../ir/debuginfo.js';
import type { Function } from '../ir/values.js';
import type { Access, Cache, IndirectCall, Policy } from '../policy/schema.js';
import { legalSetSize, percentile } from '../policy/legal-set.js';
import { POLICY_VERSION } from '../policy/schema.js';
import { allocatorTable, type AllocatorTable } from './allocators.js';
import { typedCaches } from './catalogue.js';
import type { ExternalFacts } from './external.js';
import { globalTable } from './globals.js';
import { indirectCallContext, indirectCallStats, indirectCallsOf, type IndirectCallStats } from './icalls.js';
import { isFrameSlot } from './layout.js';
import { Containment, LegalSets } from './legal.js';
import { PointsTo } from './pointsto.js';
import { SkbHeads } from './skbheads.js';
import { type Located, Program, type ProgramModule } from './program.js';
import { findAllocationSites, framesOf } from './sites.js';
import { RecordViews } from './views.js';
import { writesOf, type WriterTable } from './writes.js';

/** What a function looks like to a compartment predicate. */
export interface FunctionInfo {
  name: string;
  /** The module (source_filename). */
  module: string;
  /** Source file of its DISubprogram, as the compiler named it (`net/ipv6/route.c`). */
  file: string | undefined;
  linkage: string;
}

/** How to choose the compartment's functions among the compartment modules' definitions. */
export interface CompartmentSpec {
  /** A name for reports and the policy (default: the first source prefix, or "compartment"). */
  name?: string;
  /** Keep functions whose source file starts with one of these (e.g. `net/ipv6/`). */
  sourcePrefixes?: string[];
  /** Keep only these symbols. */
  symbols?: string[];
  /** Keep functions this predicate accepts. */
  predicate?: (f: FunctionInfo) => boolean;
}

export interface AnalyzeOptions extends CompartmentSpec {
  /** The allocator table (default: `allocatorTable()`). */
  allocators?: AllocatorTable;
  /** The writer table: calls that write through an argument (default: `KERNEL_WRITERS`; `writerTable()` extends it). */
  writers?: WriterTable;
  /** Called with a short message as each stage starts. */
  onProgress?: (stage: string) => void;
  /** Version string written in the policy. */
  toolVersion?: string;
  /**
   * The target kernel's BTF (a path, or a table read with `readBtfFile`): its record types make
   * "any object of type T" include containers of T declared outside the analyzed IR.
   */
  btf?: string | BtfTypes;
  /**
   * The dedicated-cache catalogue ({@link readCacheCatalogue}): caches the rest of the kernel creates,
   * typed by their own TUs. "Any object of type T" admits those created for T by name, and the run
   * time admits no typed cache by object size.
   */
  cacheCatalogue?: readonly Cache[];
  /**
   * Facts about context code not given as modules (per-TU summaries, `kcompart/summary`): its
   * allocation sites, caches, wrappers, globals, what its functions return and the cells it writes.
   */
  external?: ExternalFacts;
}

/** Figures about an analysis, for the one-screen summary and benchmarks. */
export interface AnalysisSummary {
  modules: { compartment: number; context: number };
  functions: number;
  sites: {
    total: number;
    byKind: Record<string, number>;
    byEvidence: Record<string, number>;
    typeless: number;
    /** Sites by how their type was chosen (exact, resolved, synthetic). */
    byConfidence: Record<string, number>;
  };
  caches: number;
  wrappers: number;
  accesses: number;
  legalSetSize: { median: number; p90: number; max: number };
  anyShare: number;
  /** Accesses whose legal set is the run-time class `skb-head` (a fallback or "any" narrowed to skb head buffers). */
  skbHeadAccesses: number;
  topReasons: { kind: string; count: number }[];
  /** Indirect calls of the compartment and the sizes of their target sets. */
  indirectCalls: IndirectCallStats;
  pointsTo: { objects: number; nodes: number; cells: number };
  seconds: { link: number; sites: number; pointsTo: number; legal: number };
}

/** Reads a symbol list as `nm` prints it (the last word of each line), or one name a line. */
export async function readSymbolList(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/).pop() ?? '')
    .filter((s) => s && !s.startsWith('#'));
}

function fileOf(f: Function): string | undefined {
  const sp = f.subprogram;
  if (sp?.kind !== 'DISubprogram') return undefined;
  const file = sp.file;
  return file?.kind === 'DIFile' ? file.filename : filePathOf(sp);
}

/** The compartment's functions under a spec. */
export function selectFunctions(program: Program, spec: CompartmentSpec): Located<Function>[] {
  const symbols = spec.symbols ? new Set(spec.symbols) : undefined;
  const out: Located<Function>[] = [];
  for (const fn of program.definedFunctions('compartment')) {
    const info: FunctionInfo = { name: fn.value.name, module: fn.module.name, file: fileOf(fn.value), linkage: fn.value.linkage };
    if (spec.sourcePrefixes?.length && !spec.sourcePrefixes.some((p) => info.file?.replace(/^\.\//, '').startsWith(p))) continue;
    if (symbols && !symbols.has(info.name)) continue;
    if (spec.predicate && !spec.predicate(info)) continue;
    out.push(fn);
  }
  return out;
}

/** Analyzes a linked program. */
export function analyzeProgram(program: Program, options: AnalyzeOptions = {}): { policy: Policy; summary: AnalysisSummary } {
  const progress = options.onProgress ?? (() => undefined);
  const t0 = performance.now();
  const ext = options.external;
  let table = options.allocators ?? allocatorTable();
  // wrappers the context defines: a call to one from the program is an allocation site
  if (ext?.wrappers.length) table = new Map([...ext.wrappers.map((w): [string, (typeof ext.wrappers)[number]] => [w.name, w]), ...table]);
  progress('finding allocation sites');
  const found = findAllocationSites(program, table);
  const { wrappers, siteCalls } = found;
  const ownSites = new Set(found.sites.map((s) => s.id));
  const sites = ext ? [...found.sites, ...ext.sites.filter((s) => !ownSites.has(s.id))] : found.sites;
  const ownCaches = new Set(found.caches.map((c) => c.holder));
  const caches = ext ? [...found.caches, ...ext.caches.filter((c) => !ownCaches.has(c.holder))] : found.caches;
  const t1 = performance.now();
  progress('solving points-to');
  // the other keys of a cell's bytes: the context summaries' views, else the program's own records'
  const views = ext?.cellViews ?? RecordViews.ofModules(program.modules).otherKeys;
  const pts = new PointsTo(program, sites, siteCalls, ext, false, views);
  pts.solve();
  const t2 = performance.now();
  progress('computing legal sets');
  const functions = selectFunctions(program, options);
  const icallContext = indirectCallContext(program, pts);
  const legal = new LegalSets(
    program,
    pts,
    sites,
    new Containment(program, typeof options.btf === 'string' ? readBtfFile(options.btf) : options.btf, ext?.records),
    ext?.globals,
    options.cacheCatalogue,
    icallContext.typer,
    ext?.escape?.confinedSites(pts.escapingObjects()),
    // closed world: a function some known call reaches and no context caller passes anything to has only the IR's callers
    new SkbHeads(program, pts, ext?.skbHeadReturns, (key) => !!ext?.closed?.has(key) && !ext.arguments?.has(key)),
  );
  const accesses: Access[] = [];
  const indirectCalls: IndirectCall[] = [];
  for (const fn of functions) {
    indirectCalls.push(...indirectCallsOf(fn, icallContext));
    const entry = fn.value.blocks[0]?.instructions ?? [];
    for (const w of writesOf(fn.value, options.writers)) {
      accesses.push({
        id: `${fn.module.name}:${fn.value.name}:${w.index}`,
        module: fn.module.name,
        function: fn.value.name,
        op: w.op,
        ...(w.callee ? { callee: w.callee } : {}),
        ...(w.width !== undefined ? { width: w.width } : {}),
        ...(w.writer ? { writer: w.writer } : {}),
        location: framesOf(w.inst.debugLoc),
        legal: legal.of(w.pointer, fn.module),
        ...(isFrameSlot(w.pointer, w.width, entry) ? { frameSlot: true as const } : {}),
      });
    }
  }
  const t3 = performance.now();
  const compartmentModules = program.modules.filter((m) => m.role === 'compartment');
  // the program's caches typed by its own sites, then the catalogue's others
  const programCaches = typedCaches(caches, sites);
  const programNames = new Set(programCaches.map((c) => c.name));
  const policy: Policy = {
    schema: 'kcompart.policy',
    version: POLICY_VERSION,
    generator: { tool: 'kcompart', version: options.toolVersion ?? '0.1.0' },
    compartment: {
      name: options.name ?? options.sourcePrefixes?.[0] ?? 'compartment',
      modules: compartmentModules.map((m) => m.name),
      context: [...program.modules.filter((m) => m.role === 'context').map((m) => m.name), ...(ext?.modules ?? [])],
      ...(options.sourcePrefixes ? { sourcePrefixes: options.sourcePrefixes } : {}),
      functions: functions.map((f) => Program.keyOf(f.module, f.value)),
    },
    allocationSites: sites,
    caches: [...programCaches, ...(options.cacheCatalogue ?? []).filter((c) => !programNames.has(c.name))],
    accesses,
    indirectCalls,
    globals: globalTable(program, accesses),
  };
  return {
    policy,
    summary: summarize(policy, program, wrappers.size, pts.stats, {
      link: 0,
      sites: (t1 - t0) / 1e3,
      pointsTo: (t2 - t1) / 1e3,
      legal: (t3 - t2) / 1e3,
    }),
  };
}

/** Reads, links and analyzes: compartment modules and context modules by path. */
export async function analyze(
  compartment: readonly string[],
  context: readonly string[],
  options: AnalyzeOptions = {},
): Promise<{ policy: Policy; summary: AnalysisSummary; program: Program }> {
  const t0 = performance.now();
  options.onProgress?.(`reading ${compartment.length + context.length} modules`);
  const program = await Program.load(compartment, context);
  const link = (performance.now() - t0) / 1e3;
  const r = analyzeProgram(program, options);
  r.summary.seconds.link = link;
  return { ...r, program };
}

function summarize(
  policy: Policy,
  program: Program,
  wrappers: number,
  pts: AnalysisSummary['pointsTo'],
  seconds: AnalysisSummary['seconds'],
): AnalysisSummary {
  const count = <T>(xs: readonly T[], key: (x: T) => string): Record<string, number> => {
    const m: Record<string, number> = {};
    for (const x of xs) m[key(x)] = (m[key(x)] ?? 0) + 1;
    return m;
  };
  const sizes = policy.accesses
    .filter((a) => !a.legal.any)
    .map((a) => legalSetSize(a.legal))
    .sort((a, b) => a - b);
  const reasons = new Map<string, number>();
  for (const a of policy.accesses) for (const r of a.legal.reasons) reasons.set(r.kind, (reasons.get(r.kind) ?? 0) + 1);
  const any = policy.accesses.filter((a) => a.legal.any).length;
  return {
    modules: {
      compartment: program.modules.filter((m: ProgramModule) => m.role === 'compartment').length,
      context: policy.compartment.context.length,
    },
    functions: policy.compartment.functions.length,
    sites: {
      total: policy.allocationSites.length,
      byKind: count(policy.allocationSites, (s) => s.kind),
      byEvidence: count(policy.allocationSites, (s) => s.type.evidence[0]?.kind ?? 'none'),
      typeless: policy.allocationSites.filter((s) => s.type.kind === 'buffer').length,
      byConfidence: count(policy.allocationSites, (s) => s.type.confidence ?? 'exact'),
    },
    caches: policy.caches.length,
    wrappers,
    accesses: policy.accesses.length,
    legalSetSize: { median: percentile(sizes, 0.5), p90: percentile(sizes, 0.9), max: sizes[sizes.length - 1] ?? 0 },
    anyShare: policy.accesses.length ? any / policy.accesses.length : 0,
    skbHeadAccesses: policy.accesses.filter((a) => a.legal.classes?.includes('skb-head')).length,
    topReasons: [...reasons]
      .map(([kind, n]) => ({ kind, count: n }))
      .sort((a, b) => b.count - a.count)
      .slice(0, 8),
    indirectCalls: indirectCallStats(policy.indirectCalls ?? []),
    pointsTo: pts,
    seconds,
  };
}
