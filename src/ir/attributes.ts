// Attributes (LangRef "Parameter Attributes", "Function Attributes") and
// attribute groups `attributes #0 = { … }`. Enum attributes are kept by name;
// those with an argument keep it typed where the argument is a type or an
// integer, and as written (e.g. `memory(argmem: readwrite)`) otherwise.
import type { Type } from './types.js';

export type Attribute =
  /** `nounwind`, `noundef`, `nonnull`… */
  | { readonly kind: 'enum'; readonly name: string }
  /** `align 8`, `dereferenceable(16)`, `alignstack(4)`… */
  | { readonly kind: 'int'; readonly name: string; readonly value: number }
  /** `byval(%struct.x)`, `sret(…)`, `elementtype(…)`… */
  | { readonly kind: 'type'; readonly name: string; readonly type: Type | undefined }
  /** `"frame-pointer"="none"` or `"no-builtins"`. */
  | { readonly kind: 'string'; readonly key: string; readonly value: string | undefined }
  /** Arguments kept as written: `memory(read)`, `range(i32 0, 4)`, `allocsize(0,1)`, `uwtable(sync)`. */
  | { readonly kind: 'text'; readonly name: string; readonly text: string }
  /** `#3`: a reference to an attribute group, resolved by `AttributeList.resolve`. */
  | { readonly kind: 'group'; readonly id: number };

/** An attribute group `attributes #N = { … }`. */
export class AttributeGroup {
  constructor(
    readonly id: number,
    readonly attributes: readonly Attribute[],
  ) {}
}

/** Finds an attribute by name in a list (following group references through `groups`). */
export function findAttribute(
  attrs: readonly Attribute[],
  name: string,
  groups?: ReadonlyMap<number, AttributeGroup>,
): Attribute | undefined {
  for (const a of attrs) {
    if (a.kind === 'group') {
      const g = groups?.get(a.id);
      const found = g && findAttribute(g.attributes, name);
      if (found) return found;
    } else if (a.kind === 'string' ? a.key === name : a.name === name) {
      return a;
    }
  }
  return undefined;
}

/**
 * Enum attributes LLVM 14–22 accept on parameters, return values, functions and
 * call sites. The reader needs the list to tell an attribute from the start of
 * a value (`call void @f(ptr nonnull null)`).
 */
export const ENUM_ATTRIBUTES: ReadonlySet<string> = new Set([
  'alwaysinline',
  'argmemonly',
  'builtin',
  'cold',
  'convergent',
  'disable_sanitizer_instrumentation',
  'fn_ret_thunk_extern',
  'hot',
  'hybrid_patchable',
  'immarg',
  'inaccessiblememonly',
  'inaccessiblemem_or_argmemonly',
  'inlinehint',
  'inreg',
  'jumptable',
  'minsize',
  'mustprogress',
  'naked',
  'nest',
  'noalias',
  'nobuiltin',
  'nocallback',
  'nocapture',
  'nocf_check',
  'noduplicate',
  'nofree',
  'noimplicitfloat',
  'noinline',
  'nomerge',
  'noprofile',
  'norecurse',
  'noredzone',
  'noreturn',
  'nosanitize_bounds',
  'nosanitize_coverage',
  'nosync',
  'noundef',
  'nounwind',
  'nonlazybind',
  'nonnull',
  'null_pointer_is_valid',
  'optforfuzzing',
  'optdebug',
  'optnone',
  'optsize',
  'presplitcoroutine',
  'readnone',
  'readonly',
  'returned',
  'returns_twice',
  'safestack',
  'sanitize_address',
  'sanitize_hwaddress',
  'sanitize_memory',
  'sanitize_memtag',
  'sanitize_thread',
  'sanitize_numerical_stability',
  'sanitize_realtime',
  'sanitize_realtime_blocking',
  'shadowcallstack',
  'signext',
  'skipprofile',
  'speculatable',
  'speculative_load_hardening',
  'ssp',
  'sspreq',
  'sspstrong',
  'strictfp',
  'swiftasync',
  'swifterror',
  'swiftself',
  'willreturn',
  'writeonly',
  'writable',
  'zeroext',
  'allocalign',
  'allocptr',
  'coro_only_destroy_when_complete',
  'coro_elide_safe',
  'dead_on_unwind',
  'nonnull',
  'no_sanitize_address',
  'no_sanitize_hwaddress',
  'sanitize_address_dyninit',
  'noinline',
  'uwtable',
  'no-jump-tables',
  'no_callback',
  // LLVM 20–22 (Attributes.td): parameter / return `dead_on_return`, `noext`;
  // function `nocreateundeforpoison`, `nodivergencesource`, `sanitize_type`,
  // `sanitize_alloc_token`
  'dead_on_return',
  'noext',
  'nocreateundeforpoison',
  'nodivergencesource',
  'sanitize_type',
  'sanitize_alloc_token',
  // with an argument (handled by the reader, listed so they are recognised)
  'align',
  'alignstack',
  'allocsize',
  'allockind',
  'byref',
  'byval',
  'dereferenceable',
  'dereferenceable_or_null',
  'elementtype',
  'inalloca',
  'memory',
  'nofpclass',
  'preallocated',
  'range',
  'sret',
  'vscale_range',
  'initializes',
  'captures',
]);

/** Attributes whose argument is a type: `byval(%T)`. */
export const TYPE_ATTRIBUTES: ReadonlySet<string> = new Set(['byval', 'byref', 'sret', 'elementtype', 'inalloca', 'preallocated']);

/** Attributes whose argument is one integer: `dereferenceable(8)`, `align 8`, `align(8)`. */
export const INT_ATTRIBUTES: ReadonlySet<string> = new Set(['align', 'alignstack', 'dereferenceable', 'dereferenceable_or_null']);
