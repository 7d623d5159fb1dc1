// Owns using TU summaries as an analysis's context (issue 12 item 4): the
// compartment is read as full modules, the context only as summaries, folded
// into the analysis's ExternalFacts — its allocation sites and caches, its
// exported allocator wrappers, its globals' record types, what its exported
// functions return and what it stores into shared cells. A summary is about
// its own TU alone, so a value crossing TUs inside the context is "any object
// of its debug type" there: the facts over-approximate what the full context
// would give, they never drop what one TU does.
import { type AnalysisSummary, type AnalyzeOptions, analyzeProgram, type ExternalFacts, Program } from '../analysis/index.js';
import type { Policy } from '../policy/schema.js';
import type { TuSummary } from './schema.js';

const isStatic = (key: string): boolean => key.includes('::');

/**
 * Folds context summaries into the facts the analysis takes. `exclude` names modules (source
 * filenames) to leave out — the compartment's own TUs when the summaries cover the whole kernel.
 */
export function externalFacts(summaries: Iterable<TuSummary>, exclude: ReadonlySet<string> = new Set()): ExternalFacts {
  const facts: ExternalFacts = {
    modules: [],
    sites: [],
    caches: [],
    wrappers: [],
    globals: new Map(),
    returns: new Map(),
    cells: new Map(),
    records: [],
    parameterCells: new Map(),
    loadedCells: [],
  };
  const loaded = new Set<string>();
  const records = new Map<string, { size: number; embeds: Set<string>; startsWith: Set<string>; headOf: Set<string> }>();
  const union = (m: Map<string, string[]>, k: string, refs: readonly string[]): void => {
    const prior = m.get(k);
    if (!prior) m.set(k, [...refs]);
    else for (const r of refs) if (!prior.includes(r)) prior.push(r);
  };
  const wrappers = new Map<string, ExternalFacts['wrappers'][number]>();
  for (const s of summaries) {
    if (exclude.has(s.module)) continue;
    facts.modules.push(s.module);
    facts.sites.push(...s.sites);
    facts.caches.push(...s.caches);
    for (const w of s.wrappers) if (!isStatic(w.key) && !wrappers.has(w.key)) wrappers.set(w.key, { ...w.allocator, name: w.key });
    for (const g of s.globals) {
      if (!g.defined && facts.globals.has(g.key)) continue;
      facts.globals.set(g.key, { ...(g.record ? { typeName: g.record } : {}), percpu: g.percpu });
    }
    for (const f of s.functions) if (f.defined && f.returns && !isStatic(f.key)) union(facts.returns, f.key, f.returns);
    for (const [cell, refs] of s.fieldStores) {
      union(facts.cells, cell, refs);
      // `param:f:i@off` in a cell: f stores what its caller passes as argument i there
      for (const r of refs) {
        const m = /^param:(.*):(\d+)@(\d+|\*)$/.exec(r);
        if (!m || isStatic(m[1]!)) continue;
        const list = facts.parameterCells.get(m[1]!) ?? [];
        const offset = m[3] === '*' ? '*' : Number(m[3]);
        if (!list.some((x) => x.index === Number(m[2]) && x.cell === cell && x.offset === offset))
          list.push({ index: Number(m[2]), cell, offset });
        facts.parameterCells.set(m[1]!, list);
      }
    }
    for (const c of s.fieldLoads) loaded.add(c);
    for (const [name, size, embeds, startsWith, headOf] of s.records) {
      let r = records.get(name);
      if (!r) records.set(name, (r = { size: 0, embeds: new Set(), startsWith: new Set(), headOf: new Set() }));
      if (size) r.size = size;
      for (const x of embeds) r.embeds.add(x);
      for (const x of startsWith) r.startsWith.add(x);
      for (const x of headOf) r.headOf.add(x);
    }
  }
  facts.loadedCells = [...loaded];
  facts.records = [...records].map(([name, r]) => ({
    name,
    ...(r.size ? { size: r.size } : {}),
    embeds: [...r.embeds],
    startsWith: [...r.startsWith],
    headOf: [...r.headOf],
  }));
  facts.wrappers = [...wrappers.values()];
  return facts;
}

/**
 * Analyzes a compartment read in full (`compartment`: .ll paths) with summarized context: the
 * analysis of `analyze(compartment, context)` with the context's modules replaced by their
 * summaries. Summaries of the compartment's own TUs, if given, are left out.
 */
export async function analyzeWithSummaries(
  compartment: readonly string[],
  context: Iterable<TuSummary>,
  options: AnalyzeOptions = {},
): Promise<{ policy: Policy; summary: AnalysisSummary; program: Program }> {
  options.onProgress?.(`reading ${compartment.length} compartment modules`);
  const t0 = performance.now();
  const program = await Program.load(compartment);
  const link = (performance.now() - t0) / 1e3;
  const own = new Set(program.modules.map((m) => m.name));
  const r = analyzeProgram(program, { ...options, external: externalFacts(context, own) });
  r.summary.seconds.link = link;
  return { ...r, program };
}
