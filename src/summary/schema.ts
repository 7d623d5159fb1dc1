// Owns the per-TU summary format (issue 12 item 4): what one translation unit
// contributes to a whole-program analysis, small enough to keep thousands of
// them in memory at once, JSON-serializable, validated with zod. A summary is
// a function of the .ll bytes and SUMMARY_VERSION only (the cache key).
import { z } from 'zod';
import { AllocatorSchema } from '../analysis/index.js';
import { AllocationSiteSchema, CacheSchema } from '../policy/schema.js';

/** Bump when the summarizer's output changes: cached summaries of another version are recomputed. */
export const SUMMARY_VERSION = 33;

/** A program-wide symbol key: the name, or `module::name` for a static symbol (analysis `Program.keyOf`). */
const Key = z.string();

/** A `struct T+offset` field key, as MLTA and the icall typing name function-pointer fields. */
const FieldKey = z.string();

/**
 * An abstract object in portable form: `site:<id>`, `pages:<id>` (the memory of the pages a
 * `struct page *` site allocates: `page_address(page)`), `global:<key>`, `function:<key>`,
 * `typeany:<type name>`, `stack:<function>`, `unknown`, `param:<function key>:<index>` (what a
 * caller passes as that parameter of that exported function); with `@<offset>` (`*` = unknown offset).
 * In `arguments` only, `passed:<function key>:<index>` stands for `unknown` where the argument is
 * that function's own parameter passed on (a `char *` its outside callers may point anywhere): what
 * its callers pass, resolved over the whole program (`externalFacts`), else `unknown`. In
 * `arguments` and `returns`, `result:<function key>` stands for `unknown` too: what a call to that
 * function returned, passed on or returned in turn (for the whole-program escape closure).
 */
const ObjectRef = z.string();

export const SummaryFunctionSchema = z
  .object({
    name: z.string(),
    /** Program-wide key (`module::name` when static). */
    key: Key,
    linkage: z.string(),
    defined: z.boolean(),
    /** IR signature as the icall typing compares it (`i32 (ptr, i32)`). */
    signature: z.string(),
    /** C prototype from the debug signature (`int (struct sk_buff *)`), when debug info has it. */
    prototype: z.string().optional(),
    /** Debug signature: return then parameter type names (`void` for none, `...` for varargs). */
    debugSignature: z.array(z.string()).optional(),
    /** Source file of its DISubprogram. */
    file: z.string().optional(),
    /** Its address is used other than as a direct callee (an indirect-call candidate). */
    addressTaken: z.boolean(),
    /**
     * What a pointer it returns may point to, per this TU's points-to (defined functions with a
     * pointer result), and per the def-use walks: `param:<its key>:<i>` for an untyped parameter it
     * returns (moved on), `result:<g>` for what a call to `g` returned.
     */
    returns: z.array(ObjectRef).optional(),
    /**
     * It returns a pointer into an skb's head buffer (analysis/skbheads.ts) when each of these
     * functions (keys) does; empty: always. Absent: it may return something else.
     */
    skbHead: z.array(Key).optional(),
  })
  .strict();

export const SummaryGlobalSchema = z
  .object({
    name: z.string(),
    key: Key,
    linkage: z.string(),
    defined: z.boolean(),
    /** Debug type name (`struct proto`), when debug info has it. */
    type: z.string().optional(),
    /** Its record type's name with typedefs and qualifiers looked through (`const struct proto_ops` → `struct proto_ops`). */
    record: z.string().optional(),
    section: z.string().optional(),
    percpu: z.boolean(),
    /** Pointers in its initializer: byte offset → what is stored there (a symbol key, with a byte offset into it). */
    pointers: z.array(z.object({ offset: z.number().int(), target: Key, targetOffset: z.number().int().optional() }).strict()),
  })
  .strict();

export const SummaryIndirectCallSchema = z
  .object({
    /** Caller key. */
    caller: Key,
    /** `module:function:icallN`, as the policy names indirect calls. */
    id: z.string(),
    signature: z.string(),
    prototype: z.string().optional(),
    /** The function-pointer fields the callee is loaded from (`struct T+off`). */
    fields: z.array(FieldKey),
    /** Targets this TU alone proves (points-to, field setters); empty when its set was widened by signature matching. */
    localTargets: z.array(Key),
    /**
     * What each pointer argument of the call may point to in this TU's points-to: parameter index
     * → portable references (what the callee, wherever matching finds it, receives from this call).
     */
    arguments: z.array(z.tuple([z.number().int(), z.array(ObjectRef)])),
  })
  .strict();

export const TuSummarySchema = z
  .object({
    schema: z.literal('kcompart.tu-summary'),
    version: z.literal(SUMMARY_VERSION),
    /** The path it was read from (informational: the cache key is the content). */
    file: z.string(),
    /** Its source_filename (`net/ipv6/route.c`): the module name everywhere else. */
    module: z.string(),
    /** sha256 of the .ll bytes (hex). */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    functions: z.array(SummaryFunctionSchema),
    globals: z.array(SummaryGlobalSchema),
    /** Direct calls: caller key → callee key (deduplicated; intrinsics left out). */
    calls: z.array(z.tuple([Key, Key])),
    /**
     * Pointer arguments of its direct calls to functions it does not define: callee key, parameter
     * index, what the argument may point to in this TU's points-to (portable references, the union
     * over its calls): what those callees' formals receive from this TU.
     */
    arguments: z.array(z.tuple([Key, z.number().int(), z.array(ObjectRef)])),
    indirectCalls: z.array(SummaryIndirectCallSchema),
    /** Allocation sites with their types (the analysis's own site finder, this TU alone). */
    sites: z.array(AllocationSiteSchema),
    /** `kmem_cache_create*` calls: cache name, object size, the global (field) the cache pointer is stored to. */
    caches: z.array(CacheSchema),
    /** Wrappers of allocators this TU defines: function key, what it wraps, its entry as an allocator. */
    wrappers: z.array(z.object({ key: Key, wraps: z.string(), allocator: AllocatorSchema }).strict()),
    /** Function-pointer fields: `struct T+off` → the function keys this TU stores there (initializers and stores). */
    setters: z.array(z.tuple([FieldKey, z.array(Key)])),
    /** `struct T+off` → fields whose value this TU copies into it. */
    fieldCopies: z.array(z.tuple([FieldKey, z.array(FieldKey)])),
    /** `struct T+off` → a store of a value nothing follows (the field is not bounded by its setters). */
    opaqueFields: z.array(z.tuple([FieldKey, z.string()])),
    /**
     * Pointers this TU stores into fields of record types (`T:struct sock@24`, `@*` for an unknown
     * offset) and into exported globals without a record type (`G:name@0`), and what they may point
     * to: the cells points-to shares across TUs.
     */
    fieldStores: z.array(z.tuple([z.string(), z.array(ObjectRef)])),
    /**
     * The record types its debug info describes: name, size in bytes (0: none), the records it
     * embeds, starts with, and whose pointer is its first member (containment's input), and its
     * record members with their byte offsets (-1: elements of an array; the escape closure's
     * views of one byte).
     */
    records: z.array(
      z.tuple([
        z.string(),
        z.number().int(),
        z.array(z.string()),
        z.array(z.string()),
        z.array(z.string()),
        z.array(z.tuple([z.string(), z.number().int()])),
      ]),
    ),
    /** The shared cells (same keys as `fieldStores`) it loads from. */
    fieldLoads: z.array(z.string()),
    /**
     * Memory past a record's end that debug info names as another record (`netdev_priv(dev)` is a
     * `struct tg3`): record, byte offset, the record there. This TU's cells there are the latter's
     * (`T:struct tg3@16`); another TU's load of the former's cell at that offset reads them too.
     */
    privateAreas: z.array(z.tuple([z.string(), z.number().int(), z.string()])),
    /**
     * Objects that escape this TU's analysis (`site:<id>`, `param:<function key>:<index>`,
     * `stack:<function>`, `global:<key>`): their address reaches a pointer the analysis lost here
     * (stored through one, absorbed by one, handed to an asm statement that may write memory, or
     * for an untyped parameter, stored or passed where no summary follows it). Also `result:<function
     * key>`: what a call to that function returns escapes here the same way. A lost pointer anywhere
     * may point to them (whole-program closure: summary/escape.ts).
     */
    escapes: z.array(z.string()),
    /**
     * Variadic arguments, followed through `va_start` into what `va_arg` reads (the def-use walks):
     * `va:<function key>` names a function's variadic arguments, `va:<function key>:<index>` the
     * arguments behind its `va_list` parameter. `vaLists` are the exported functions' `va_list`
     * parameters this TU walked (whether what is behind them escapes: `escapes`); `vaPasses`, a
     * `va_list` this TU passes to another TU's function: callee key, index, the `va:` objects behind it.
     */
    vaLists: z.array(z.tuple([z.string(), z.number().int()])),
    vaPasses: z.array(z.tuple([z.string(), z.number().int(), z.array(z.string())])),
    /** Objects with cells of their own (buffers, stack slots, static globals) → the objects they hold (same form as `escapes`). */
    holds: z.array(z.tuple([z.string(), z.array(z.string())])),
    /** Declared functions it calls that it does not define (resolved, or not, against other TUs). */
    externals: z.array(z.string()),
    stats: z
      .object({
        bytes: z.number().int(),
        instructions: z.number().int(),
        /** Wall seconds spent parsing and summarizing. */
        parseSeconds: z.number(),
        summarizeSeconds: z.number(),
      })
      .strict(),
  })
  .strict();

export type TuSummary = z.infer<typeof TuSummarySchema>;
export type SummaryFunction = z.infer<typeof SummaryFunctionSchema>;
export type SummaryGlobal = z.infer<typeof SummaryGlobalSchema>;
export type SummaryIndirectCall = z.infer<typeof SummaryIndirectCallSchema>;
