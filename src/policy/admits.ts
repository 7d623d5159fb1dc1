// Owns the truth of the attack matrix (DESIGN.md §5): what owns a piece of
// kernel memory (a slab object of a cache and type, a global, a page, a
// vmalloc area, another task's stack, text, …) and whether a legal set admits
// a write there — by the policy's own words, independent of how the run time
// decides it. The run time's verdicts are measured against this.
import type { LegalSet } from './schema.js';

/** Who owns a piece of kernel memory, as far as a legal set can speak of it. */
export type MemoryOwner =
  | {
      readonly region: 'slab';
      /** The cache's name (`cred_jar`, `kmalloc-64`). */
      readonly cache: string;
      /** The object's C type, when known (`struct cred`). */
      readonly type?: string;
      /** The program allocation site that made it, when it is the compartment's own. */
      readonly site?: string;
      /** It is the head buffer of some `sk_buff` (the run-time class `skb-head`). */
      readonly skbHead?: boolean;
    }
  | { readonly region: 'global'; readonly symbol: string }
  | { readonly region: 'stack'; readonly current: boolean }
  | { readonly region: 'buddy'; readonly site?: string; readonly skbHead?: boolean }
  | { readonly region: 'vmalloc'; readonly caller?: string; readonly skbHead?: boolean }
  | { readonly region: 'vmemmap' }
  | { readonly region: 'percpu' }
  /** Memory no legal set may name: kernel text, rodata, a direct-map alias, a freed object, the run time's own maps. */
  | { readonly region: 'text' | 'rodata' | 'alias' | 'freed' | 'runtime' };

/**
 * True when the legal set admits a write to memory of this owner: "any";
 * the current task's stack; a global it names; a slab object of a cache it
 * names, of an allocation site it names, or — for a typed fallback — of a
 * type it admits from the rest of the kernel (`foreignTypes`); a page or
 * vmalloc area of a site or caller it names; an skb head buffer when it
 * names the class `skb-head`; vmemmap and per-cpu memory when it allows them. Text, rodata, aliases, freed objects and the run time's
 * memory are never admitted except by "any".
 */
export function legalSetAdmits(set: LegalSet, owner: MemoryOwner): boolean {
  if (set.any) return true;
  if ('skbHead' in owner && owner.skbHead === true && set.classes?.includes('skb-head')) return true;
  switch (owner.region) {
    case 'stack':
      return owner.current && set.stack;
    case 'global':
      return set.globals.some((g) => g === owner.symbol || g.endsWith(`::${owner.symbol}`));
    case 'slab':
      if (set.slabCaches.includes(owner.cache)) return true;
      if (owner.site !== undefined && set.slabSites.includes(owner.site)) return true;
      return owner.type !== undefined && (set.foreignTypes ?? []).some((t) => t.name === owner.type);
    case 'buddy':
      return owner.site !== undefined && set.buddySites.includes(owner.site);
    case 'vmalloc':
      return owner.caller !== undefined && set.vmallocCallers.includes(owner.caller);
    case 'vmemmap':
      return set.vmemmap;
    case 'percpu':
      return set.percpu;
    default:
      return false;
  }
}
