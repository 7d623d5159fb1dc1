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

/** Entries of a legal set: globals, caches, allocation sites and vmalloc callers, plus one per region flag. */
export function legalSetSize(l: LegalSet): number {
  return (
    l.globals.length +
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
