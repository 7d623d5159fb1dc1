// Owns the whole-program call graph built from per-TU summaries, as a
// @dagrejs/graphlib Graph: a node per function (by program-wide key: the
// symbol, or `module::name` for a static), an edge per direct call, and an
// edge per possible target of each indirect call. Indirect targets follow the
// analysis's icall typing (MLTA) across TUs: the functions any TU stores into
// the function-pointer fields the callee is loaded from (copies between fields
// followed), else — when no field is known, none is written, or a field also
// receives values nothing follows — every address-taken function with the
// call's C prototype (its IR signature when debug info has none). Those
// fallback targets go through one hub node per prototype (`proto:<prototype>`,
// `sig:<signature>`): caller → hub → every candidate. Edges to each candidate
// from each call would be calls × candidates — measured on 2,496 TUs, 4.2
// million edges, 143 s and 2.9 GB in graphlib — where hubs keep it linear
// and reachability the same.
import { Graph } from '@dagrejs/graphlib';
import type { SummaryIndirectCall, TuSummary } from './schema.js';

/** A node's label. */
export interface CallGraphNode {
  /** The symbol. */
  name: string;
  /** The TU that defines it (source_filename); absent for functions no summarized TU defines. */
  module?: string;
  defined: boolean;
  addressTaken: boolean;
  /** A prototype hub (`proto:…` / `sig:…`): not a function; its successors are the address-taken functions of that prototype. */
  hub?: boolean;
}

/** An edge's label: how the call was found. `via` says how an indirect call's target was chosen. */
export interface CallGraphEdge {
  kind: 'direct' | 'indirect';
  via?: 'local' | 'field' | 'prototype' | 'signature';
}

/** Figures about a built call graph. */
export interface CallGraphStats {
  nodes: number;
  defined: number;
  directEdges: number;
  indirectEdges: number;
  indirectCalls: number;
  /** Indirect calls bounded by field setters alone. */
  byField: number;
  /** Indirect calls that fell back to prototype or signature matching (through a hub). */
  byPrototype: number;
  /** Prototype / signature hub nodes. */
  hubs: number;
  seconds: number;
}

/**
 * Builds the whole-program call graph of a set of TU summaries (directed, not a multigraph: one
 * edge per caller and callee; a direct call wins over an indirect one on the same pair).
 */
export function buildCallGraph(summaries: Iterable<TuSummary>): { graph: Graph; stats: CallGraphStats } {
  const t0 = performance.now();
  const g = new Graph({ directed: true, multigraph: false });
  const all = [...summaries];
  const fields = fieldFacts(all);
  const byPrototype = new Map<string, string[]>();
  const bySignature = new Map<string, string[]>();
  const push = (m: Map<string, string[]>, k: string, v: string): void => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  for (const s of all) {
    for (const f of s.functions) {
      const prior = g.node(f.key) as CallGraphNode | undefined;
      if (f.defined || !prior) {
        g.setNode(f.key, {
          name: f.name,
          ...(f.defined ? { module: s.module } : {}),
          defined: f.defined,
          addressTaken: f.addressTaken || (prior?.addressTaken ?? false),
        } satisfies CallGraphNode);
      } else if (f.addressTaken && !prior.addressTaken) g.setNode(f.key, { ...prior, addressTaken: true });
      if (f.defined && f.addressTaken) {
        if (f.prototype) push(byPrototype, f.prototype, f.key);
        push(bySignature, f.signature, f.key);
      }
    }
  }
  let direct = 0;
  for (const s of all) {
    for (const [from, to] of s.calls) {
      if (!g.hasEdge(from, to)) direct++;
      g.setEdge(from, to, { kind: 'direct' } satisfies CallGraphEdge);
    }
  }
  let hubs = 0;
  let indirect = 0,
    fieldOnly = 0,
    proto = 0,
    nIcalls = 0;
  const add = (from: string, to: string, via: CallGraphEdge['via']): void => {
    if (g.hasEdge(from, to)) return;
    if (!g.hasNode(to)) g.setNode(to, { name: to.split('::').pop()!, defined: false, addressTaken: true } satisfies CallGraphNode);
    g.setEdge(from, to, { kind: 'indirect', via } satisfies CallGraphEdge);
    indirect++;
  };
  for (const s of all) {
    for (const ic of s.indirectCalls) {
      nIcalls++;
      for (const t of ic.localTargets) add(ic.caller, t, 'local');
      // the fields' setters, through copies between fields (MLTA's propagation)
      const { targets, open } = fieldTargets(ic, fields);
      if (!open) {
        fieldOnly++;
        for (const t of targets) add(ic.caller, t, 'field');
        continue;
      }
      proto++;
      for (const t of targets) add(ic.caller, t, 'field');
      const via = ic.prototype ? 'prototype' : 'signature';
      const hub = ic.prototype ? `proto:${ic.prototype}` : `sig:${ic.signature}`;
      if (!g.hasNode(hub)) {
        g.setNode(hub, { name: ic.prototype ?? ic.signature, defined: false, addressTaken: false, hub: true } satisfies CallGraphNode);
        hubs++;
        for (const t of (ic.prototype ? byPrototype.get(ic.prototype) : bySignature.get(ic.signature)) ?? []) add(hub, t, via);
      }
      add(ic.caller, hub, via);
    }
  }
  const nodes = g.nodes();
  return {
    graph: g,
    stats: {
      nodes: nodes.length,
      defined: nodes.filter((n: string) => (g.node(n) as CallGraphNode).defined).length,
      hubs,
      directEdges: direct,
      indirectEdges: indirect,
      indirectCalls: nIcalls,
      byField: fieldOnly,
      byPrototype: proto,
      seconds: (performance.now() - t0) / 1e3,
    },
  };
}

/**
 * The field-bounded targets of an indirect call across TUs (MLTA's matching, which `buildCallGraph` and `externalFacts` share):
 * the functions any TU stores into the fields the callee is loaded from, through copies between
 * fields; `open` when no field is known, none is written, or one also receives values nothing
 * follows (then prototype / signature matching adds every address-taken function of its type).
 */
export function fieldTargets(ic: SummaryIndirectCall, { setters, copies, opaque }: FieldFacts): { targets: Set<string>; open: boolean } {
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

/** What every TU says of function-pointer fields, program-wide: MLTA's input. */
export interface FieldFacts {
  /** `struct T+off` → the functions stored there. */
  setters: Map<string, Set<string>>;
  /** `struct T+off` → the fields whose value is copied into it. */
  copies: Map<string, Set<string>>;
  /** Fields that also receive values nothing follows. */
  opaque: Set<string>;
}

/** The union of the summaries' field setters, copies and opaque fields. */
export function fieldFacts(summaries: Iterable<TuSummary>): FieldFacts {
  const facts: FieldFacts = { setters: new Map(), copies: new Map(), opaque: new Set() };
  const into = (m: Map<string, Set<string>>, k: string, vs: readonly string[]): void => {
    let set = m.get(k);
    if (!set) m.set(k, (set = new Set()));
    for (const v of vs) set.add(v);
  };
  for (const s of summaries) {
    for (const [field, fns] of s.setters) into(facts.setters, field, fns);
    for (const [field, from] of s.fieldCopies) into(facts.copies, field, from);
    for (const [field] of s.opaqueFields) facts.opaque.add(field);
  }
  return facts;
}
