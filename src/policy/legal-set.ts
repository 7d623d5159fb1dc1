/**
 * Constructing and measuring {@link LegalSet} values: the empty set every builder starts from, and
 * the size `kcompart analyze` and the report count. One definition, so that the analysis, the
 * report and the tools agree on what "size" means.
 */
import type { LegalSet } from './schema.js';

/** A legal set that admits nothing, with `over` applied on top (fresh arrays every call). */
export function emptyLegalSet(over: Partial<LegalSet> = {}): LegalSet {
  return {
    any: false,
    stack: false,
    globals: [],
    slabCaches: [],
    slabSites: [],
    buddySites: [],
    vmallocCallers: [],
    percpu: false,
    vmemmap: false,
    reasons: [],
    ...over,
  };
}

/** The element at quantile `p` (0..1) of ascending `sorted` (nearest rank, rounded down); 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))]!;
}

/** Entries of a legal set: globals, caches, allocation sites, vmalloc callers and run-time classes, plus one per region flag. */
export function legalSetSize(l: LegalSet): number {
  return (
    l.globals.length +
    (l.classes?.length ?? 0) +
    l.slabCaches.length +
    l.slabSites.length +
    l.buddySites.length +
    l.vmallocCallers.length +
    (l.stack ? 1 : 0) +
    (l.percpu ? 1 : 0) +
    (l.vmemmap ? 1 : 0)
  );
}

/**
 * What a kernel function symbol looks like (`ip6_output`, `foo.isra.0`, `bar.cold`): the names a
 * `kprobe/<symbol>+0x<off>` section can carry. `kcompart emit` gives other names no program, and
 * the report counts them the same way.
 */
export const ATTACHABLE_SYMBOL = /^[A-Za-z_.$][A-Za-z0-9_.$]{0,254}$/;

/**
 * The sections the kernel frees after init (`.init.text`, and `.init.text.*` with
 * -ffunction-sections): code that runs once while its TU initializes, before a policy can load.
 * `kcompart emit` gives a site there no program (`init-text`), and the report and the attack
 * matrix count it the same way.
 */
export const INIT_SECTION = /^\.init\.text(\.|$)/;

const unionSorted = (x: readonly string[], y: readonly string[]): string[] => [...new Set([...x, ...y])].sort();

/**
 * The union of legal sets: everything any of them admits, and nothing narrower anywhere. The
 * optional refinements keep their "absent means unbounded" reading: per-cpu memory stays
 * unbounded when one set allows per-cpu memory without naming variables or areas, and foreign
 * objects stay of any type when one set admits foreign objects without naming types. Reasons
 * are kept once each. An empty list gives the empty set.
 */
export function unionLegalSets(sets: readonly LegalSet[]): LegalSet {
  const out = emptyLegalSet();
  if (sets.length === 0) return out;
  const reasons = new Map<string, LegalSet['reasons'][number]>();
  let percpuUnbounded = false;
  let foreignUntyped = false;
  const percpuGlobals = new Set<string>();
  const foreignTypes = new Map<string, { name: string; size?: number }>();
  const classes = new Set<NonNullable<LegalSet['classes']>[number]>();
  for (const s of sets) {
    out.any ||= s.any;
    out.stack ||= s.stack;
    out.vmemmap ||= s.vmemmap;
    out.globals = unionSorted(out.globals, s.globals);
    out.slabCaches = unionSorted(out.slabCaches, s.slabCaches);
    out.slabSites = unionSorted(out.slabSites, s.slabSites);
    out.buddySites = unionSorted(out.buddySites, s.buddySites);
    out.vmallocCallers = unionSorted(out.vmallocCallers, s.vmallocCallers);
    if (s.percpu) {
      out.percpu = true;
      if (s.percpuGlobals === undefined && s.percpuAreas !== true) percpuUnbounded = true;
      for (const g of s.percpuGlobals ?? []) percpuGlobals.add(g);
      if (s.percpuAreas === true) out.percpuAreas = true;
    }
    if (s.foreign === true) {
      out.foreign = true;
      if (s.foreignTypes === undefined) foreignUntyped = true;
    }
    for (const t of s.foreignTypes ?? []) foreignTypes.set(`${t.name}\0${t.size ?? ''}`, t);
    for (const c of s.classes ?? []) classes.add(c);
    for (const r of s.reasons) reasons.set(`${r.kind}\0${r.detail}`, r);
  }
  if (out.percpu && !percpuUnbounded && percpuGlobals.size > 0) out.percpuGlobals = [...percpuGlobals].sort();
  if (out.percpu && percpuUnbounded) delete out.percpuAreas;
  if (!foreignUntyped && foreignTypes.size > 0)
    out.foreignTypes = [...foreignTypes.values()].sort((a, b) => a.name.localeCompare(b.name) || (a.size ?? 0) - (b.size ?? 0));
  if (classes.size) out.classes = [...classes].sort();
  out.reasons = [...reasons.values()];
  if (out.any) return { ...emptyLegalSet(), any: true, reasons: out.reasons };
  return out;
}
