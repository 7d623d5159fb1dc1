// Owns using TU summaries as an analysis's context (issue 12 item 4): the
// compartment is read as full modules, the context only as summaries, folded
// into the analysis's ExternalFacts — its allocation sites and caches, its
// exported allocator wrappers, its globals' record types, what its exported
// functions return and what it stores into shared cells. A summary is about
// its own TU alone, so a value crossing TUs inside the context is "any object
// of its debug type" there: the facts over-approximate what the full context
// would give, they never drop what one TU does. What the context passes to the
// compartment's functions (direct calls, and indirect calls whole-program
// matching sends there) is bound to their formals; under the closed-world
// option a compartment function every caller of which is known gets only that.
import { type AnalysisSummary, type AnalyzeOptions, analyzeProgram, type ExternalFacts, Program } from '../analysis/index.js';
import type { Policy } from '../policy/schema.js';
import { cachedSummary } from './cache.js';
import type { SummaryIndirectCall, TuSummary } from './schema.js';

const isStatic = (key: string): boolean => key.includes('::');

/**
 * Folds context summaries into the facts the analysis takes. `exclude` names modules (source
 * filenames) to leave out — the compartment's own TUs when the summaries cover the whole kernel.
 */
export function externalFacts(
  summaries: Iterable<TuSummary>,
  exclude: ReadonlySet<string> = new Set(),
  options: ExternalFactsOptions = {},
): ExternalFacts {
  const all = [...summaries];
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
  for (const s of all) {
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
  const passed = callerArguments(all, exclude);
  facts.arguments = passed.arguments;
  if (options.closedWorld) facts.closed = passed.closed;
  return facts;
}

/** Options of {@link externalFacts}. */
export interface ExternalFactsOptions {
  /**
   * Closed world: the summaries (with the compartment's own, which `exclude` names) are the whole
   * kernel as built, and no code outside them — no out-of-tree module, no code without IR — calls
   * the compartment's functions. A compartment function that matching finds at least one caller of
   * (a direct call, or an indirect call by its fields' setters, else by prototype or signature) is
   * then `closed`: its parameters get only what its callers pass. One no call reaches (an entry
   * point called from assembly, an export only modules call) keeps the outside-caller fallback.
   */
  closedWorld?: boolean;
}

/**
 * The field-bounded targets of an indirect call across TUs (the call graph's matching, callgraph.ts):
 * the functions any TU stores into the fields the callee is loaded from, through copies between
 * fields; `open` when no field is known, none is written, or one also receives values nothing
 * follows (then prototype / signature matching adds every address-taken function of its type).
 */
function fieldTargets(
  ic: SummaryIndirectCall,
  setters: ReadonlyMap<string, ReadonlySet<string>>,
  copies: ReadonlyMap<string, ReadonlySet<string>>,
  opaque: ReadonlySet<string>,
): { targets: Set<string>; open: boolean } {
  const targets = new Set<string>();
  let open = ic.fields.length === 0;
  const seen = new Set<string>();
  const work = [...ic.fields];
  for (let f = work.pop(); f !== undefined; f = work.pop()) {
    if (seen.has(f)) continue;
    seen.add(f);
    for (const t of setters.get(f) ?? []) targets.add(t);
    if (opaque.has(f)) open = true;
    for (const c of copies.get(f) ?? []) work.push(c);
  }
  return { targets, open: open || targets.size === 0 };
}

/**
 * What the context passes to the functions the `own` modules' summaries define (by key and parameter
 * index), and which of them some call reaches (from the context or from `own` code: the candidates
 * for the closed world). Without summaries of the `own` modules there is nothing to bind.
 */
function callerArguments(all: readonly TuSummary[], own: ReadonlySet<string>): Pick<ExternalFacts, 'arguments'> & { closed: Set<string> } {
  const targets = new Set<string>();
  const addressTaken = new Set<string>();
  for (const s of all) {
    if (!own.has(s.module)) continue;
    for (const f of s.functions) {
      if (f.defined) targets.add(f.key);
      if (f.addressTaken) addressTaken.add(f.key);
    }
  }
  const args = new Map<string, Map<number, string[]>>();
  const closed = new Set<string>();
  if (!targets.size) return { arguments: args, closed };
  const setters = new Map<string, Set<string>>();
  const copies = new Map<string, Set<string>>();
  const opaque = new Set<string>();
  const into = (m: Map<string, Set<string>>, k: string, vs: readonly string[]): void => {
    let set = m.get(k);
    if (!set) m.set(k, (set = new Set()));
    for (const v of vs) set.add(v);
  };
  for (const s of all) {
    for (const [field, fns] of s.setters) into(setters, field, fns);
    for (const [field, from] of s.fieldCopies) into(copies, field, from);
    for (const [field] of s.opaqueFields) opaque.add(field);
    // a context TU may take the address of a compartment function it only declares (an ops table)
    if (!own.has(s.module)) for (const f of s.functions) if (f.addressTaken && targets.has(f.key)) addressTaken.add(f.key);
  }
  // the compartment's address-taken functions by prototype and IR signature (the fallback's candidates)
  const byPrototype = new Map<string, string[]>();
  const bySignature = new Map<string, string[]>();
  const push = (m: Map<string, string[]>, k: string, v: string): void => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  for (const s of all) {
    if (!own.has(s.module)) continue;
    for (const f of s.functions) {
      if (!f.defined || !addressTaken.has(f.key)) continue;
      if (f.prototype) push(byPrototype, f.prototype, f.key);
      push(bySignature, f.signature, f.key);
    }
  }
  const bind = (key: string, index: number, refs: readonly string[]): void => {
    let byIndex = args.get(key);
    if (!byIndex) args.set(key, (byIndex = new Map()));
    const prior = byIndex.get(index);
    if (!prior) byIndex.set(index, [...refs]);
    else for (const r of refs) if (!prior.includes(r)) prior.push(r);
  };
  for (const s of all) {
    const context = !own.has(s.module);
    for (const [, to] of s.calls) if (targets.has(to)) closed.add(to);
    if (context) for (const [callee, index, refs] of s.arguments) if (targets.has(callee)) bind(callee, index, refs);
    for (const ic of s.indirectCalls) {
      const reached = new Set(ic.localTargets.filter((t) => targets.has(t)));
      const { targets: byField, open } = fieldTargets(ic, setters, copies, opaque);
      for (const t of byField) if (targets.has(t)) reached.add(t);
      if (open) for (const t of (ic.prototype ? byPrototype.get(ic.prototype) : bySignature.get(ic.signature)) ?? []) reached.add(t);
      for (const t of reached) {
        closed.add(t);
        if (context) for (const [index, refs] of ic.arguments) bind(t, index, refs);
      }
    }
  }
  return { arguments: args, closed };
}

/**
 * Analyzes a compartment read in full (`compartment`: .ll paths) with summarized context: the
 * analysis of `analyze(compartment, context)` with the context's modules replaced by their
 * summaries. Summaries of the compartment's own TUs, if given, are not context: they only serve
 * the whole-program matching of what the context passes to the compartment's functions. With
 * `closedWorld` (see {@link ExternalFactsOptions}) those missing are computed.
 */
export async function analyzeWithSummaries(
  compartment: readonly string[],
  context: Iterable<TuSummary>,
  options: AnalyzeOptions & ExternalFactsOptions = {},
): Promise<{ policy: Policy; summary: AnalysisSummary; program: Program }> {
  const { closedWorld, ...analyze } = options;
  options.onProgress?.(`reading ${compartment.length} compartment modules`);
  const t0 = performance.now();
  const program = await Program.load(compartment);
  const link = (performance.now() - t0) / 1e3;
  const own = new Set(program.modules.map((m) => m.name));
  const summaries = [...context];
  if (closedWorld) {
    // the whole-program matching needs the compartment's own summaries (its fields' setters, its
    // functions' prototypes): those not given are computed (through the summary cache)
    const have = new Set(summaries.filter((s) => own.has(s.module)).map((s) => s.module));
    for (const [k, pm] of program.modules.entries()) if (!have.has(pm.name)) summaries.push((await cachedSummary(compartment[k]!)).summary);
  }
  const r = analyzeProgram(program, { ...analyze, external: externalFacts(summaries, own, { closedWorld: closedWorld ?? false }) });
  r.summary.seconds.link = link;
  return { ...r, program };
}
