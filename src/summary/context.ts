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
import { fieldFacts, fieldTargets } from './callgraph.js';
import { EscapeClosure, viewsOfSummaries } from './escape.js';
import { recordsOf } from './summarize.js';
import type { SummaryIndirectCall, TuSummary } from './schema.js';

const isStatic = (key: string): boolean => key.includes('::');
/** A summary's type name of an array of records (`struct list_head[11]`, `struct x[2][4]`) → the record's name. */
const RECORD_ARRAY = /^((?:struct|union) .+?)(?:\[\d*\])+$/;

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
      const element = g.record ? undefined : RECORD_ARRAY.exec(g.type ?? '')?.[1];
      facts.globals.set(g.key, {
        ...(g.record ? { typeName: g.record } : {}),
        ...(element ? { elementTypeName: element } : {}),
        percpu: g.percpu,
      });
    }
    for (const f of s.functions) if (f.defined && f.returns && !isStatic(f.key)) union(facts.returns, f.key, f.returns);
    for (const f of s.functions) if (f.defined && f.skbHead) (facts.skbHeadReturns ??= new Map()).set(f.key, f.skbHead);
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
  // the compartment's own records too: a view of its bytes may be a record only it describes
  const views = viewsOfSummaries(all, options.ownRecords);
  facts.escape = new EscapeClosure(all, options.closedWorld ?? false, views);
  facts.cellViews = views.otherKeys;
  const passed = callerArguments(all, exclude, options.closedWorld ?? false);
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
   * The same holds for a context function that passes its own parameter on (`passed:` arguments):
   * its callers' arguments when some call reaches it, else `unknown`. Indirect calls reach what the
   * cross-TU matching says (MLTA field setters, else prototype): a call through a cast function
   * pointer of another type is outside that assumption. Off by default (open world): the context's
   * arguments are bound beside the fallback.
   */
  closedWorld?: boolean;
  /** The record facts (`recordsOf`) of the compartment's modules that have no summary among these. */
  ownRecords?: readonly TuSummary['records'][];
}

/** Pass-through chains (`passed:` in `passed:` …) resolved this deep at most; deeper is `unknown`. */
const MAX_PASSED_DEPTH = 8;

/** A ref moved by a byte offset (`*`: unknown), as points-to moves an element. */
function shiftRef(ref: string, off: number | '*'): string {
  if (off === 0) return ref;
  const at = ref.lastIndexOf('@');
  const o = ref.slice(at + 1);
  return `${ref.slice(0, at)}@${o === '*' || off === '*' ? '*' : Number(o) + off}`;
}

/**
 * What the context passes to the functions the `own` modules' summaries define (by key and parameter
 * index), and which of them some call reaches (from the context or from `own` code: the candidates
 * for the closed world). Without summaries of the `own` modules there is nothing to bind. A
 * `passed:g:j` argument (g's own parameter passed on) is what g's callers pass as j when every caller
 * of g is known (closed world, recursively), else `unknown`.
 */
function callerArguments(
  all: readonly TuSummary[],
  own: ReadonlySet<string>,
  closedWorld: boolean,
): Pick<ExternalFacts, 'arguments'> & { closed: Set<string> } {
  const targets = new Set<string>();
  for (const s of all) if (own.has(s.module)) for (const f of s.functions) if (f.defined) targets.add(f.key);
  const args = new Map<string, Map<number, string[]>>();
  const closed = new Set<string>();
  if (!targets.size) return { arguments: args, closed };
  // every function: its prototype and signature (the defining TU's), address taken in any TU
  const fns = new Map<string, { prototype?: string; signature: string; addressTaken: boolean; defined: boolean }>();
  const fields = fieldFacts(all);
  const push = <V>(m: Map<string, V[]>, k: string, v: V): void => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  /** Direct calls' arguments by callee key and index: each TU's refs, and whether that TU is context. */
  const direct = new Map<string, { index: number; refs: string[]; context: boolean }[]>();
  const called = new Set<string>();
  for (const s of all) {
    const context = !own.has(s.module);
    for (const f of s.functions) {
      const prior = fns.get(f.key);
      if (!prior || (f.defined && !prior.defined))
        fns.set(f.key, {
          ...(f.prototype ? { prototype: f.prototype } : {}),
          signature: f.signature,
          addressTaken: f.addressTaken || (prior?.addressTaken ?? false),
          defined: f.defined,
        });
      else if (f.addressTaken) prior.addressTaken = true;
    }
    for (const [, to] of s.calls) called.add(to);
    for (const [callee, index, refs] of s.arguments) push(direct, callee, { index, refs, context });
  }
  // each indirect call at the functions matching finds for it: by field, and (open) by prototype or signature
  const icsAt = new Map<string, { ic: SummaryIndirectCall; context: boolean }[]>();
  const openByPrototype = new Map<string, { ic: SummaryIndirectCall; context: boolean }[]>();
  const openBySignature = new Map<string, { ic: SummaryIndirectCall; context: boolean }[]>();
  for (const s of all) {
    const context = !own.has(s.module);
    for (const ic of s.indirectCalls) {
      const { targets: byField, open } = fieldTargets(ic, fields);
      for (const t of new Set([...ic.localTargets, ...byField])) push(icsAt, t, { ic, context });
      if (open) {
        if (ic.prototype) push(openByPrototype, ic.prototype, { ic, context });
        else push(openBySignature, ic.signature, { ic, context });
      }
    }
  }
  const icsReaching = (key: string): { ic: SummaryIndirectCall; context: boolean }[] => {
    const out = [...(icsAt.get(key) ?? [])];
    const f = fns.get(key);
    if (f?.defined && f.addressTaken) {
      const seen = new Set(out.map((x) => x.ic));
      // an open call with a prototype reaches the functions of that prototype; one without, those of its signature
      const more = [...(f.prototype ? (openByPrototype.get(f.prototype) ?? []) : []), ...(openBySignature.get(f.signature) ?? [])];
      for (const x of more) if (!seen.has(x.ic)) out.push(x);
    }
    return out;
  };
  const isClosed = (key: string): boolean => closedWorld && (called.has(key) || icsReaching(key).length > 0);
  /** What every caller passes as parameter `index` of `key`, each TU's refs (context callers only, or all). */
  const passedTo = (key: string, index: number, contextOnly: boolean): string[][] => {
    const out: string[][] = [];
    for (const d of direct.get(key) ?? []) if (d.index === index && (d.context || !contextOnly)) out.push(d.refs);
    for (const { ic, context } of icsReaching(key)) {
      if (contextOnly && !context) continue;
      for (const [i, refs] of ic.arguments) if (i === index) out.push(refs);
    }
    return out;
  };
  const memo = new Map<string, string[]>();
  const inProgress = new Set<string>();
  let cycle = false;
  /** `passed:key:index`: what its callers pass, when all are known; else unknown. */
  const resolvePassed = (key: string, index: number, depth: number): string[] => {
    const id = `${key}:${index}`;
    const m = memo.get(id);
    if (m) return m;
    if (!isClosed(key) || depth > MAX_PASSED_DEPTH) return ['unknown@*', `passed:${id}@*`];
    // a cycle adds nothing the outer visit does not collect; what is found inside it is not kept
    if (inProgress.has(id)) {
      cycle = true;
      return [];
    }
    inProgress.add(id);
    const out = expand(passedTo(key, index, false), depth + 1);
    inProgress.delete(id);
    if (!inProgress.size) cycle = false;
    if (!cycle) memo.set(id, out);
    return out;
  };
  /**
   * Each list's refs with every `passed:` one resolved — or, as soon as one resolves to "unknown",
   * "unknown" beside every ref as given: points-to absorbs the objects into "unknown" (they escape)
   * and reads the pass-throughs as lost (what they stand for escapes), so nothing goes unnamed.
   */
  const expand = (lists: readonly string[][], depth: number): string[] => {
    const out = new Set<string>();
    for (const refs of lists) {
      for (const r of refs) {
        const p = /^passed:(.*):(\d+)@(\d+|\*)$/.exec(r);
        if (!p) {
          out.add(r);
          continue;
        }
        const resolved = resolvePassed(p[1]!, Number(p[2]), depth);
        if (resolved.includes('unknown@*')) return [...new Set(['unknown@*', ...out, ...lists.flat(), ...resolved])];
        for (const x of resolved) out.add(shiftRef(x, p[3] === '*' ? '*' : Number(p[3])));
      }
    }
    return [...out];
  };
  for (const key of targets) {
    if (isClosed(key)) closed.add(key);
    const indices = new Set<number>();
    for (const d of direct.get(key) ?? []) if (d.context) indices.add(d.index);
    for (const { ic, context } of icsReaching(key)) if (context) for (const [i] of ic.arguments) indices.add(i);
    for (const index of indices) {
      const refs = expand(passedTo(key, index, true), 0);
      if (!refs.length) continue;
      let byIndex = args.get(key);
      if (!byIndex) args.set(key, (byIndex = new Map()));
      byIndex.set(index, refs);
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
  const summarized = new Set(summaries.map((s) => s.module));
  const ownRecords = program.modules.filter((pm) => !summarized.has(pm.name)).map((pm) => recordsOf(pm.module));
  const external = externalFacts(summaries, own, { closedWorld: closedWorld ?? false, ownRecords });
  const r = analyzeProgram(program, { ...analyze, external });
  r.summary.seconds.link = link;
  return { ...r, program };
}
