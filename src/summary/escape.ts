// Owns the whole-program escape closure over TU summaries (issue 12 item 4):
// which allocation sites a pointer the analysis lost, anywhere in the kernel,
// may point to. A typed fallback ("any object of type T") then admits only the
// sites among those — typeless buffers, and objects that are or hold a T — not
// every one of the kernel: an object whose address never leaves what the
// analysis follows reaches a write only through pointers whose sets name it.
import { DEALLOCATORS } from '../analysis/escape.js';
import { BYTE_ROUTINES } from '../analysis/writes.js';
import { fieldFacts, fieldTargets } from './callgraph.js';
import type { EscapeFacts } from '../analysis/external.js';
import type { TuSummary } from './schema.js';
import { RecordViews } from '../analysis/views.js';

/**
 * `site:x@8` → `site:x` (`pages:x`: the memory of the pages site x allocates); `passed:f:i@*` → `param:f:i`; `result:g@*` → `result:g` (what `g` returns,
 * as its callers get it); `va:g@*` → `va:g` (g's variadic arguments; `va:g:i`, those behind its
 * `va_list` parameter i); undefined for refs naming no object (`typeany`, `unknown`, functions).
 */
function objectOf(ref: string): string | undefined {
  const at = ref.lastIndexOf('@');
  const r = at < 0 ? ref : ref.slice(0, at);
  if (r.startsWith('passed:')) return `param:${r.slice(7)}`;
  return /^(site|pages|param|stack|global|result|va):/.test(r) ? r : undefined;
}

const isStatic = (key: string): boolean => key.includes('::');

/** The number of fixed parameters of an IR function signature (`i32 (ptr, i64, ...)` → 2). */
export function fixedParameters(signature: string): number {
  const open = signature.indexOf('(');
  if (open < 0) return 0;
  let depth = 0;
  let count = 0;
  let current = '';
  for (const ch of signature.slice(open + 1)) {
    if (ch === '(' || ch === '{' || ch === '<' || ch === '[') depth++;
    if (ch === ')' || ch === '}' || ch === '>' || ch === ']') {
      if (depth === 0) break;
      depth--;
    }
    if (ch === ',' && depth === 0) {
      if (current.trim() && current.trim() !== '...') count++;
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() && current.trim() !== '...') count++;
  return count;
}

/**
 * The objects of the summarized program a pointer its analysis lost may point to, as the least
 * fixpoint of these rules:
 * - what a TU's own analysis lets escape (its summary's `escapes`), and what the program read in
 *   full lets escape in its own solve ({@link EscapeClosure.confinedSites}' argument);
 * - what a TU stores into a shared cell (`T:struct sock@24`, an exported global) another TU loads:
 *   that TU reads it as "any object of the field's type" (a parameter or call result only the
 *   storing TU's def-use walks follow: when any TU loads it, that one too);
 * - what an exported or address-taken function returns: its callers elsewhere get "any" — in a
 *   closed world, for a function only called directly (and by some TU), only where a caller lets
 *   the result escape (the caller's summary walks it: `result:<f>` in its escapes or arguments),
 *   and what the returned objects' own cells hold;
 * - what a call passes to a function no summary defines (no IR: assembly) other than a routine
 *   that only moves bytes (`BYTE_ROUTINES`: `copy_page`), to a static function of
 *   another TU that its TU does not call indirectly (so did not walk), to an indirect call
 *   whole-program matching does not bound — except the object a deallocator frees;
 * - what a call passes to a parameter that escapes (the callee's summary says so, or it escapes
 *   by these rules), or as a variadic argument of a function whose variadic arguments escape
 *   (`va:`: its va_start, and the `va_list` parameters it is passed on to, walked), and what an
 *   escaping object's own cells hold;
 * - what the own cells of an object passed to another TU hold: the callee reads them as "any".
 *
 * `closedWorld` says the summaries are the whole kernel as built; otherwise code outside them may
 * load every shared cell and call every exported function, so all of that escapes too.
 */
export class EscapeClosure implements EscapeFacts {
  /** Objects (`site:<id>`, `param:<f>:<i>`, `stack:<f>`, `global:<k>`, `result:<f>`, `va:<f>`) a lost pointer may point to. */
  readonly escaped = new Set<string>();
  /** Why each object entered the closure (its rule, or the object it escaped with). */
  readonly because = new Map<string, string>();
  private readonly work: string[] = [];
  /** Object → what escapes with it (its own cells' content; for a parameter, what is passed to it). */
  private readonly with = new Map<string, Set<string>>();
  private readonly sites: string[] = [];

  /** `views`: the record views of these summaries, when the caller has them already. */
  constructor(summaries: Iterable<TuSummary>, closedWorld: boolean, views?: RecordViews) {
    const all = [...summaries];
    const holds = new Map<string, string[]>();
    for (const s of all) for (const [o, held] of s.holds) holds.set(o, [...(holds.get(o) ?? []), ...held]);
    for (const [o, held] of holds) this.edge(o, held);
    // who defines what: a parameter is followed only into a summary that defines its function
    const definedIn = new Map<string, string>();
    const params = new Map<string, number>();
    // static functions whose TU walked their parameters: those it calls indirectly (summarize.ts)
    const walkedStatic = new Set<string>();
    for (const s of all)
      for (const f of s.functions)
        if (f.defined) {
          definedIn.set(f.key, s.module);
          params.set(f.key, fixedParameters(f.signature));
          if (isStatic(f.key) && f.addressTaken) walkedStatic.add(f.key);
        }
    const loadedElsewhere = cellLoaders(all, closedWorld, views ?? viewsOfSummaries(all));
    // a function some TU calls directly and none takes the address of: its callers all walk its result
    const called = new Set<string>();
    const addressTaken = new Set<string>();
    for (const s of all) {
      for (const [, to] of s.calls) called.add(to);
      for (const f of s.functions) if (f.addressTaken) addressTaken.add(f.key);
    }
    const resultFollowed = (key: string): boolean => closedWorld && called.has(key) && !addressTaken.has(key);
    /** Passing `refs` as parameter `index` of `callee` from `caller`: an edge, or escape. */
    /** Objects handed to code that reads their own cells as "any object of the field's type" (`how`: passed to, returned by). */
    const heldBy = (refs: readonly string[], how: string): void => {
      for (const r of refs) {
        const o = objectOf(r);
        for (const x of o === undefined ? [] : (holds.get(o) ?? [])) this.mark(x, `held by ${o}, ${how}`);
      }
    };
    const passTo = (callee: string, index: number, refs: readonly string[], caller: string, why: string): void => {
      if (DEALLOCATORS.get(callee) === index) return;
      const home = definedIn.get(callee);
      // a variadic argument: where the callee's va_start and va_arg take it (its summary's `va:`)
      if (home !== undefined && index >= (params.get(callee) ?? 0)) {
        this.edge(`va:${callee}`, refs);
        if (home !== caller) heldBy(refs, `passed to ${callee}`);
        return;
      }
      // the caller's own function (static or exported): its analysis bound the argument there already
      if (home === caller) return;
      // an assembly routine that only moves bytes through what it gets (`copy_page`)
      if (home === undefined && BYTE_ROUTINES.has(callee)) return;
      if (home === undefined || (isStatic(callee) && !walkedStatic.has(callee))) {
        for (const r of refs) this.mark(r, why);
        return;
      }
      this.edge(`param:${callee}:${index}`, refs);
      heldBy(refs, `passed to ${callee}`);
    };
    const vaLists = new Set<string>();
    for (const s of all) for (const [f, i] of s.vaLists) vaLists.add(`${f}:${i}`);
    const fields = fieldFacts(all);
    for (const s of all) {
      for (const site of s.sites) this.sites.push(site.id);
      for (const o of s.escapes) this.mark(o, `escapes in ${s.module}`);
      for (const [cell, refs] of s.fieldStores) {
        if (loadedElsewhere(cell, s.module)) for (const r of refs) this.mark(r, `stored into ${cell} by ${s.module}, loaded elsewhere`);
        // a pointer the storing TU's own analysis does not track (found by its def-use walks):
        // what that TU loads back from the cell is lost there too
        else if (loadedElsewhere(cell, ''))
          for (const r of refs) if (/^(passed|result|va):/.test(r)) this.mark(r, `stored into ${cell} by ${s.module}, loaded there`);
      }
      for (const f of s.functions) {
        if (!f.defined || !f.returns || (isStatic(f.key) && !f.addressTaken)) continue;
        // called only directly (closed world): what it returns escapes where a caller's walk of the
        // result lets it; the caller reads what the object's own cells hold as "any", as a callee does.
        // Assumed: assembly that calls a C function IR calls too keeps no pointer it returns
        if (resultFollowed(f.key)) {
          this.edge(`result:${f.key}`, f.returns);
          heldBy(f.returns, `returned by ${f.key}`);
        } else for (const r of f.returns) this.mark(r, `returned by ${f.key}`);
      }
      for (const [callee, index, refs] of s.arguments) passTo(callee, index, refs, s.module, `passed to ${callee} by ${s.module}`);
      // a va_list passed on: what is behind it goes where the callee's walk of that parameter says
      for (const [callee, index, refs] of s.vaPasses) {
        if (vaLists.has(`${callee}:${index}`)) this.edge(`va:${callee}:${index}`, refs);
        else for (const r of refs) this.mark(r, `behind a va_list passed to ${callee} by ${s.module}, not walked there`);
      }
      for (const ic of s.indirectCalls) {
        const { targets, open } = fieldTargets(ic, fields);
        for (const t of ic.localTargets) targets.add(t);
        for (const [index, refs] of ic.arguments) {
          if (open) for (const r of refs) this.mark(r, `passed to ${ic.id}, an indirect call of unbounded targets`);
          else for (const t of targets) passTo(t, index, refs, s.module, `passed to ${t} by ${ic.id}`);
        }
      }
    }
    this.close();
  }

  /** {@inheritDoc EscapeFacts.confinedSites} */
  confinedSites(programEscapes: readonly string[]): ReadonlySet<string> {
    for (const o of programEscapes) this.mark(o, 'escapes in the program read in full');
    this.close();
    return new Set(this.sites.filter((id) => !this.escaped.has(`site:${id}`)));
  }

  private mark(ref: string, why: string): void {
    const o = objectOf(ref);
    if (o === undefined || this.escaped.has(o)) return;
    this.escaped.add(o);
    this.because.set(o, why);
    this.work.push(o);
  }

  private edge(from: string, refs: readonly string[]): void {
    let s = this.with.get(from);
    if (!s) this.with.set(from, (s = new Set()));
    for (const r of refs) {
      const o = objectOf(r);
      if (o !== undefined && o !== from) s.add(o);
    }
  }

  private close(): void {
    for (let o = this.work.pop(); o !== undefined; o = this.work.pop()) for (const x of this.with.get(o) ?? []) this.mark(x, `with ${o}`);
  }
}

/** The record views of summaries (their records and private areas), and of `more` records (`recordsOf`). */
export function viewsOfSummaries(all: readonly TuSummary[], more: readonly TuSummary['records'][] = []): RecordViews {
  const records = [...all.map((s) => s.records), ...more].flatMap((list) => list.map(([name, size, , , , at]) => ({ name, size, at })));
  return new RecordViews(
    records,
    all.flatMap((s) => s.privateAreas),
  );
}

/**
 * Whether a TU other than the one storing into a shared cell (any TU, for storer `''`) may load
 * it: under any key of its bytes ({@link RecordViews}), and a load of a view's record at an
 * unknown offset counts too. Past MAX_VIEWS, or in the open world: always.
 */
function cellLoaders(all: readonly TuSummary[], closedWorld: boolean, views: RecordViews): (cell: string, storer: string) => boolean {
  // record → the modules that load any cell of it; cell → the modules that load it
  const loaders = new Map<string, Set<string>>();
  const exact = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, k: string, v: string): void => {
    let set = m.get(k);
    if (!set) m.set(k, (set = new Set()));
    set.add(v);
  };
  for (const s of all)
    for (const c of s.fieldLoads) {
      add(loaders, c.slice(0, c.lastIndexOf('@')), s.module);
      add(exact, c, s.module);
    }
  const byOther = (mods: Set<string> | undefined, storer: string): boolean => !!mods && [...mods].some((m) => m !== storer);
  return (cell, storer) => {
    if (!closedWorld) return true;
    const at = cell.lastIndexOf('@');
    const base = cell.slice(0, at);
    const off = cell.slice(at + 1);
    if (base.startsWith('T:')) {
      const of = views.of(base.slice(2), off === '*' ? '*' : Number(off));
      if (!of) return true;
      for (const [x, o] of of.values()) {
        if (byOther(exact.get(`T:${x}@${o}`), storer) || byOther(exact.get(`T:${x}@*`), storer)) return true;
        if (o === '*' && byOther(loaders.get(`T:${x}`), storer)) return true;
      }
      return false;
    }
    return byOther(off === '*' ? loaders.get(base) : exact.get(cell), storer) || byOther(exact.get(`${base}@*`), storer);
  };
}
