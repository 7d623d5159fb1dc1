// The policy model: the contract between kcompart's stages (DESIGN.md §1).
// One zod schema per record, versioned; TypeScript types are inferred from
// the schemas so the two cannot drift. The analysis writes the IR-level part
// (allocation sites, caches, accesses with legal sets); the binary mapper adds
// `binary` sites to each access; the emitter reads both.
import { z } from 'zod';

/** The schema version this build writes and reads. Bumped on any incompatible change. */
export const POLICY_VERSION = 1;

/** One frame of a source location: innermost (inlined) first, then each `inlinedAt` outwards. */
export const SourceFrameSchema = z
  .object({
    file: z.string().describe('source file as the DIFile names it (directory joined)'),
    line: z.number().int().nonnegative(),
    column: z.number().int().nonnegative(),
    function: z.string().describe('C function whose code this frame is in'),
  })
  .strict();
export type SourceFrame = z.infer<typeof SourceFrameSchema>;

/** The chain of a location: `[innermost, …, outermost]`. Empty when the IR has no debug location. */
export const LocationChainSchema = z.array(SourceFrameSchema);

/** How the kind of memory an allocator returns is named (DESIGN.md §3). */
export const AllocationKindSchema = z.enum(['slab', 'buddy', 'vmalloc', 'percpu', 'slab-or-vmalloc']);
export type AllocationKind = z.infer<typeof AllocationKindSchema>;

/** Why the analysis believes an object has a type, strongest first (DESIGN.md §3). */
export const TypeEvidenceKindSchema = z.enum([
  'debug-variable', // a #dbg_value / llvm.dbg.value binds the pointer to a `T *` variable
  'typed-pointer', // clang ≤ 14: the IR pointer type is `%struct.T*`
  'gep-source', // a GEP whose source element type is %struct.T
  'stored-to-field', // stored into a field whose debug type is `T *`
  'passed-as-parameter', // passed where the callee's debug info says `T *`
  'returned-as', // returned from a function whose debug return type is `T *`
  'size-match', // the allocation size equals sizeof(T)
  'container-of', // a negative byte offset moves to the enclosing type
  'cache', // the cache was created for T (KMEM_CACHE / kmem_cache_create size)
  'synthetic-buffer', // no struct type: a buffer type named after the site
]);

export const TypeEvidenceSchema = z
  .object({
    kind: TypeEvidenceKindSchema,
    type: z.string().describe('the type this evidence points to'),
    location: LocationChainSchema.optional(),
    detail: z.string().optional(),
  })
  .strict();
export type TypeEvidence = z.infer<typeof TypeEvidenceSchema>;

/** Size of an allocation: a constant, or an expression over the call's arguments. */
export const AllocationSizeSchema = z.union([
  z.object({ constant: z.number().int().nonnegative() }).strict(),
  z
    .object({
      expression: z.string().describe('symbolic size, e.g. "arg0 * 24 + 8"'),
      /** A number the size is always a whole multiple of, above 1: an array's element size (`kmalloc_array(n, 16)`). */
      multipleOf: z.number().int().positive().optional(),
    })
    .strict(),
]);

export const ObjectTypeSchema = z
  .object({
    /** `struct sk_buff`, `union …`, or `buf@function:line:col` for a typeless buffer. */
    name: z.string(),
    kind: z.enum(['struct', 'union', 'array', 'scalar', 'pointer', 'buffer', 'unknown']),
    /** Size in bytes when known. */
    size: z.number().int().nonnegative().optional(),
    evidence: z.array(TypeEvidenceSchema),
    /** Other types with evidence of their own, kept when evidence disagrees. */
    conflicts: z.array(z.object({ type: z.string(), evidence: z.array(TypeEvidenceSchema) }).strict()).optional(),
    /**
     * For a `buffer`: the struct / union its first bytes are read as (a byte buffer of a run-time
     * size whose header is a `T`: `esp_alloc_tmp`, a netlink attribute buffer). The object is not a
     * `T`; a `T` lies at its start. Legal sets treat the site as a buffer and as a holder of a `T`
     * (additive, version 1).
     */
    header: z.string().optional().describe('struct / union at offset 0 of a byte buffer (kind buffer)'),
    /**
     * For a `buffer`: what its allocator's contract puts in it. `string`: a NUL-terminated copy of
     * characters (kstrdup, kasprintf, memdup_user_nul…). No record lives in it, so typed fallbacks
     * ("any object of type T") do not admit it (additive, version 1).
     */
    contents: z.enum(['string']).optional().describe('what the allocator puts in a buffer: string'),
    /** For an `array`: the element type (`struct sk_buff *` for `struct sk_buff *[]`, `u64` for `u64[]`) (additive, version 1). */
    element: z.string().optional().describe('element type of an array allocation'),
    /**
     * How the type was chosen: `exact` (all evidence of every copy of the source call agrees),
     * `resolved` (evidence disagreed: `conflicts` holds the losers), `synthetic` (no type evidence:
     * a buffer named after its site) (additive, version 1).
     */
    confidence: z.enum(['exact', 'resolved', 'synthetic']).optional(),
  })
  .strict();
export type ObjectType = z.infer<typeof ObjectTypeSchema>;

/**
 * Where the run time records what one allocation site returns (filled by the
 * mapper, DESIGN.md §4): a kprobe on the instruction just after the call of
 * the allocator, where `rax` holds the object, page or address returned.
 */
export const AllocationProbeSchema = z
  .object({
    /** The object file (as given to the mapper) holding the call. */
    object: z.string(),
    /** The function symbol holding the call (the site's `caller` after inlining). */
    symbol: z.string(),
    /** Offset of the instruction after the call, from the start of `symbol`: the kprobe's `symbol+offset`. 0 when unmapped. */
    offset: z.number().int().nonnegative(),
    /** Offset of the call instruction itself, from the start of `symbol` (of the `jmp` for a tail call; 0 when unmapped otherwise). */
    callOffset: z.number().int().nonnegative(),
    section: z.string(),
    /** `exact`: the one call of the allocator at the site's location; `ambiguous`: one of several (inlined copies, two calls on a line); `unmapped`: no probe (see `reason`). */
    confidence: z.enum(['exact', 'ambiguous', 'unmapped']),
    /** Why a probe is unmapped (`no-rows`, `no-call-to-allocator`, `tail-call`, …) or how it was found when not at the exact location. */
    reason: z.string().optional(),
  })
  .strict();
export type AllocationProbe = z.infer<typeof AllocationProbeSchema>;

/** A call of an allocator (or of a wrapper found to return an allocator's result). */
export const AllocationSiteSchema = z
  .object({
    /** Stable id, unique in the policy: `module:function:index`. */
    id: z.string(),
    kind: AllocationKindSchema,
    /** The function called (`__kmalloc`, `kmem_cache_alloc`, a wrapper…). */
    allocator: z.string(),
    /** The function containing the call: what the run time sees as the caller. */
    caller: z.string(),
    /** The translation unit (its source_filename). */
    module: z.string(),
    location: LocationChainSchema,
    /** The named cache for `kmem_cache_alloc*` from a known cache (the first, when several). */
    cache: z.string().optional(),
    /** Every cache the object may come from, when there are several (`fclone ? skbuff_fclone_cache : skbuff_head_cache`). */
    caches: z.array(z.string()).optional(),
    size: AllocationSizeSchema.optional(),
    gfp: z.string().optional(),
    type: ObjectTypeSchema,
    /**
     * The allocator is a wrapper returning a pointer into the object it allocated (`krealloc(…) + off`,
     * `&obj->member`): the object (and `type`) is the enclosing allocation; the pointer the call returns
     * is `offset` bytes into it (`unknown` when not constant). The run time records the object at
     * `returned - offset` (additive, version 1).
     */
    interior: z
      .object({
        offset: z.union([z.number().int(), z.literal('unknown')]),
        /** The wrapper that adds the offset. */
        wrapper: z.string(),
        /** The debug type the returned pointer is bound to (the member's), when known. */
        member: z.string().optional(),
      })
      .strict()
      .optional(),
    /** Where a kprobe records the objects this site returns: after each machine call of `allocator` at `location` (filled by the mapper; additive, version 1). */
    probes: z.array(AllocationProbeSchema).optional(),
  })
  .strict();
export type AllocationSite = z.infer<typeof AllocationSiteSchema>;

/** A `kmem_cache` whose name the analysis knows, and where its pointer is kept. */
export const CacheSchema = z
  .object({
    name: z.string(),
    /** `@global` or `@global+offset` holding the cache pointer. */
    holder: z.string(),
    objectType: z.string().optional(),
    objectSize: z.number().int().nonnegative().optional(),
    createdAt: LocationChainSchema,
    /**
     * The struct / union types that allocations from the cache give its objects (in the analyzed
     * program, or in the cache's own TU for a catalogued one). A typed cache holds those types only:
     * a set admits it by name, never by object size (additive, version 1).
     */
    objectTypes: z.array(z.string()).optional(),
    /** Known from the cache catalogue (`--cache-catalogue` TUs), not from the analyzed program (additive, version 1). */
    catalogued: z.boolean().optional(),
  })
  .strict();
export type Cache = z.infer<typeof CacheSchema>;

/** Why a legal set was widened beyond what the analysis could prove. */
export const WideningSchema = z
  .object({
    kind: z.enum([
      'int-to-ptr',
      'inline-asm',
      // code without IR: a declared function nothing defines, or callers outside the program
      'unknown-external',
      // code the analysis reads only as summaries (a callee's result, a caller's argument) whose own
      // analysis loses the pointer (additive, version 1)
      'context-lost',
      'unknown-load',
      'type-punned',
      'indirect-call',
      'untyped-origin',
      'unknown-allocator',
      'other',
    ]),
    detail: z.string(),
    location: LocationChainSchema.optional(),
  })
  .strict();
export type Widening = z.infer<typeof WideningSchema>;

/** The regions one write may legally touch (DESIGN.md §3). */
export const LegalSetSchema = z
  .object({
    /** Widened to any memory: nothing is checked at run time (reasons say why). */
    any: z.boolean(),
    stack: z.boolean(),
    /** Global symbols (`module::name` for static ones). */
    globals: z.array(z.string()),
    /** Dedicated slab caches, by name. */
    slabCaches: z.array(z.string()),
    /** Allocation sites (ids) of objects in general `kmalloc-*` caches. */
    slabSites: z.array(z.string()),
    buddySites: z.array(z.string()),
    /** Functions whose vmalloc areas may be written (the `caller` recorded in `vm_struct`). */
    vmallocCallers: z.array(z.string()),
    percpu: z.boolean(),
    /**
     * With `percpu`: the static per-cpu variables (`DEFINE_PER_CPU`) the write may reach, spelt like
     * `globals`; the run time bounds a per-cpu write to [variable, variable + size) of one of them
     * (sizes in the policy's `globals`). Absent in older policies: any per-cpu memory (additive, version 1).
     */
    percpuGlobals: z.array(z.string()).optional(),
    /** With `percpu`: dynamically allocated per-cpu areas (`alloc_percpu`) may be written (additive, version 1). */
    percpuAreas: z.boolean().optional(),
    vmemmap: z.boolean(),
    /**
     * Memory the rest of the kernel allocated may be written: the pointer may reach objects of its type
     * that no allocation site of the program made (a `struct file *` from the VFS). Everything except
     * memory recorded for a program allocation site outside this set is then legal (additive, version 1).
     */
    foreign: z.boolean().optional(),
    /**
     * With `foreign`: the types whose objects the rest of the kernel allocates and this write may reach —
     * the typed fallback's T and every record type that is or contains a T (or starts with one, or is a
     * list head posing as one), each with its size from the IR's debug info (none for a container known
     * only from the kernel's BTF: it admits through its allocation sites, not a cache's size). The run time admits a foreign object
     * only when its owner is one of them: an allocation site of the set, a cache the analysis named for
     * one, or a dedicated cache whose object size is one of these sizes (additive, version 1).
     */
    foreignTypes: z.array(z.object({ name: z.string(), size: z.number().int().positive().optional() }).strict()).optional(),
    /**
     * Run-time classes of memory the write may touch, which the run time recognizes as the kernel
     * makes them rather than by allocation site. `skb-head`: the head buffer of any `sk_buff` (the
     * bytes `skb->head` / `skb->data` point into), registered as the skb code allocates it or
     * installs a buffer as a head (`__alloc_skb`, `pskb_expand_head`, `build_skb`, …). Given where the
     * pointer can only come from such a head: it replaces the typed fallback or the "any" the write
     * had, and names what it admits (additive, version 1).
     */
    classes: z.array(z.enum(['skb-head'])).optional(),
    reasons: z.array(WideningSchema),
  })
  .strict();
export type LegalSet = z.infer<typeof LegalSetSchema>;

/** A memory operand as the machine instruction computes it. */
export const MemoryOperandSchema = z
  .object({
    base: z.string().optional(),
    index: z.string().optional(),
    scale: z.number().int(),
    displacement: z.number().int(),
    segment: z.string().optional(),
    /** For rip-relative operands: the symbol and offset the address resolves to. */
    ripTarget: z.string().optional(),
    /**
     * For a non-rip-relative operand whose displacement is a relocation in the object (kernel code model:
     * `movq $0, sym(,%rax,8)`, `sym(%rdi)`): the symbol and addend (`sym+0x10`) the linker adds to
     * `displacement`; the address is base + index × scale + displacement + the symbol's address + addend
     * (additive, version 1).
     */
    displacementTarget: z.string().optional(),
    /** Bytes written; 0 when variable (`rep movs`). */
    width: z.number().int().nonnegative(),
    /**
     * For a rep-prefixed string store (`rep movs` / `rep stos`): the element size; the count is in rcx and
     * the direction in the DF flag, so the bytes written are rcx × element from rdi, up or down (additive, version 1).
     */
    repElement: z.number().int().positive().optional(),
  })
  .strict();
export type MemoryOperand = z.infer<typeof MemoryOperandSchema>;

/** Where one IR write is performed in a binary (filled by the mapper, DESIGN.md §4). */
export const BinarySiteSchema = z
  .object({
    object: z.string(),
    symbol: z.string(),
    offset: z.number().int().nonnegative(),
    section: z.string(),
    operand: MemoryOperandSchema.optional(),
    confidence: z.enum(['exact', 'ambiguous', 'unmapped']),
    reason: z.string().optional(),
    /** True when static elimination proved the write safe: no run-time check. */
    staticallySafe: z.boolean().optional(),
    /**
     * The instruction is a call (or a tail-call `jmp`) whose callee performs the write: a writer call
     * (`Access.writer`) is checked at it from the argument registers (additive, version 1).
     */
    call: z.boolean().optional(),
    /**
     * The check at this instruction covers the displacements [from, to) from the operand's base and
     * index instead of its own width: later writes it dominates, through the same unchanged registers
     * and with a legal set admitting its own, are checked by it (map's coverage proof; additive, version 1).
     */
    extent: z.object({ from: z.number().int(), to: z.number().int() }).strict().optional(),
    /**
     * With `staticallySafe`: the instruction (symbol and offset) whose widened check (`extent`) covers
     * this write (additive, version 1).
     */
    coveredBy: z
      .object({
        symbol: z.string(),
        offset: z.number().int().nonnegative(),
        /**
         * Why this write's bytes lie inside that extent: `straight-line` (the same basic block, later),
         * `must-follow` (every path from the covering write reaches this one), `inside-extent` (a write
         * the covering one dominates, inside the extent the first two kinds already give) (additive).
         */
        proof: z.enum(['straight-line', 'must-follow', 'inside-extent']).optional(),
      })
      .strict()
      .optional(),
    /**
     * For an indirect call (`IndirectCall.binary`): the register holding the target when the
     * instruction starts (`call *%rax`, or the register a retpoline thunk is named after); a
     * memory-indirect call has `operand` instead (additive, version 1).
     */
    calleeRegister: z.string().optional(),
    /** For an indirect call made through a retpoline thunk: its name (`__x86_indirect_thunk_r11`) (additive, version 1). */
    thunk: z.string().optional(),
    /**
     * For an indirect call probed at the instruction before it (`offset`): the call's own offset. x86
     * kprobes emulate a call with a return address 5 bytes on, which is wrong for `cs call thunk` (6) and
     * `call *%reg` (2–3), so calls are probed one instruction early; `calleeRegister` / `operand` then
     * say where the target is at that instruction (additive, version 1).
     */
    callOffset: z.number().int().nonnegative().optional(),
  })
  .strict();
export type BinarySite = z.infer<typeof BinarySiteSchema>;

/**
 * A global variable a legal set names (in `globals` or `percpuGlobals`), as the loader must find it in
 * the running kernel: its symbol, its size from the IR / debug info (the legal range is [address,
 * address + size), not the distance to the next kallsyms symbol), and for a static one (which other
 * TUs may repeat) its neighbours in its object file's section, so that the loader can tell which of
 * several same-named kallsyms symbols is this TU's (additive, version 1).
 */
export const GlobalInfoSchema = z
  .object({
    /** The spelling of legal sets: `module::name` for static ones, `name` otherwise. */
    name: z.string(),
    /** The ELF / kallsyms symbol. */
    symbol: z.string(),
    /** The module (TU) defining it, when the analyzed IR does. */
    module: z.string().optional(),
    /** Bytes, from the IR value type (the same as DWARF's type size); absent when unknown (`[0 x i8]`, opaque). */
    size: z.number().int().positive().optional(),
    /** A static per-cpu variable (`.data..percpu`): its address is an offset from a CPU's per-cpu base. */
    percpu: z.boolean().optional(),
    /** The object file and section defining it (filled by the mapper, for a static symbol). */
    object: z.string().optional(),
    section: z.string().optional(),
    /**
     * Other named symbols of the same object section, with their offset from this one (`delta` = theirs −
     * this one's): a kallsyms candidate of the same name is this TU's when they sit at these deltas from it.
     */
    neighbours: z.array(z.object({ symbol: z.string(), delta: z.number().int() }).strict()).optional(),
  })
  .strict();
export type GlobalInfo = z.infer<typeof GlobalInfoSchema>;

/**
 * A static (local) function that probes attach to, as the loader must find it when kallsyms repeats
 * its name (another TU's static, or a global of the same name elsewhere: the kernel then refuses a
 * kprobe on the name with EADDRNOTAVAIL). Its neighbours in its object file's section tell which
 * candidate is this TU's, as for static globals; the loader then attaches by address (additive,
 * version 1).
 */
export const FunctionLayoutSchema = z
  .object({
    /** The object file defining it (as given to the mapper). */
    object: z.string(),
    /** The ELF / kallsyms symbol. */
    symbol: z.string(),
    section: z.string(),
    /** Other named symbols of the same object section, with their offset from this one (`delta` = theirs − this one's). */
    neighbours: z.array(z.object({ symbol: z.string(), delta: z.number().int() }).strict()),
  })
  .strict();
export type FunctionLayout = z.infer<typeof FunctionLayoutSchema>;

export const AccessOpSchema = z.enum(['store', 'atomicrmw', 'cmpxchg', 'memcpy', 'memmove', 'memset', 'call']);

/** One write instruction of the compartment and its legal set. */
export const AccessSchema = z
  .object({
    /** Stable id, unique in the policy: `module:function:index`. */
    id: z.string(),
    module: z.string(),
    /** The IR function containing the write (after inlining: the outermost frame's function). */
    function: z.string(),
    op: AccessOpSchema,
    /** For `call` / intrinsic writes: the function called. */
    callee: z.string().optional(),
    /** Bytes written when constant. */
    width: z.number().int().nonnegative().optional(),
    /**
     * For a call to a kernel writer (`memcpy`, `copy_from_user`, …, and memory intrinsics lowered to calls):
     * the argument it writes through and the argument holding the byte count, or a constant count, so
     * that the write can be checked at the call as the range [dst, dst + len) (additive, version 1).
     */
    writer: z
      .object({
        destination: z.number().int().nonnegative(),
        lengthArgument: z.number().int().nonnegative().optional(),
        length: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    location: LocationChainSchema,
    legal: LegalSetSchema,
    /**
     * The address is a constant offset into a fixed-size stack slot of the function's own static
     * frame, and the write stays inside it (analysis/layout.ts `isFrameSlot`): any machine
     * instruction performing it addresses the frame by a constant, so it cannot be aimed at other
     * memory — even when the mapper finds no instruction for it (additive, version 1).
     */
    frameSlot: z.literal(true).optional(),
    binary: z.array(BinarySiteSchema).optional(),
    /**
     * Set by the mapper on a fallback access it adds (not an IR write): the machine writes of one
     * function symbol that no access claims ("orphan writes", binary/orphans.ts), checked against
     * the union of the legal sets of `accesses` — the function's unmapped accesses (`basis`
     * `unmapped`), or, when it has none, every access of the function (`function`). Reports and
     * the attack matrix count an unmapped access listed here as checked by these sites, with its
     * own legal set as the truth (additive, version 1).
     */
    fallback: z
      .object({
        /** The accesses (ids) whose legal sets were joined: the IR writes these sites may perform. */
        accesses: z.array(z.string()),
        basis: z.enum(['unmapped', 'function']),
        /** How the union was widened beyond the joined sets, and why. */
        detail: z.string(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type Access = z.infer<typeof AccessSchema>;

/** The function-pointer field an indirect call's callee is loaded from: `struct proto` + 64 (`close`). */
export const IndirectCallFieldSchema = z
  .object({
    /** The struct type (debug name), or the allocation site's type. */
    type: z.string(),
    /** Byte offset of the field in it. */
    offset: z.number().int().nonnegative(),
    /** The member path at that offset (`ops.close`), when debug info names it. */
    member: z.string().optional(),
  })
  .strict();
export type IndirectCallField = z.infer<typeof IndirectCallFieldSchema>;

/**
 * Why an indirect call's target set is what it is: `field-setters` — points-to's targets, which the
 * analyzed IR stores into the field (setters outside it are not seen); `field-type` — the pointer's
 * origin is lost, but debug types name the field it is loaded from, and the set is every function
 * the analyzed IR stores into that field of any object of its type; `signature-only` — no points-to target,
 * every address-taken function of the call's IR signature; `signature-added` — points-to targets plus
 * that fallback, because the pointer also comes from where the analysis cannot see.
 */
export const IndirectCallReasonSchema = z
  .object({
    kind: z.enum(['field-setters', 'field-type', 'signature-only', 'signature-added']),
    detail: z.string(),
  })
  .strict();
export type IndirectCallReason = z.infer<typeof IndirectCallReasonSchema>;

/** One indirect call (or indirect tail call) of the compartment and the functions it may call (additive, version 1). */
export const IndirectCallSchema = z
  .object({
    /** Stable id, unique in the policy: `module:function:icallN` (N counts the function's calls). */
    id: z.string(),
    module: z.string(),
    function: z.string(),
    location: LocationChainSchema,
    /** The IR signature the call states (`i32 (ptr, i32)`). */
    signature: z.string(),
    /**
     * The C prototype of the field's function pointer from debug info, typedefs and qualifiers looked
     * through (`int (struct sk_buff *)`): what a load-time widening by BTF prototype would match.
     */
    prototype: z.string().optional(),
    fields: z.array(IndirectCallFieldSchema).optional(),
    /** The functions it may call: symbol and the module (TU) that defines it, or declares it when no IR defines it. */
    targets: z.array(z.object({ symbol: z.string(), module: z.string() }).strict()),
    reasons: z.array(IndirectCallReasonSchema),
    binary: z.array(BinarySiteSchema).optional(),
  })
  .strict();
export type IndirectCall = z.infer<typeof IndirectCallSchema>;

export const CompartmentSchema = z
  .object({
    name: z.string(),
    /** Modules (source_filename) whose functions may form the compartment. */
    modules: z.array(z.string()),
    /** Modules read only as context. */
    context: z.array(z.string()),
    sourcePrefixes: z.array(z.string()).optional(),
    /** Functions of the compartment after every narrowing. */
    functions: z.array(z.string()),
  })
  .strict();
export type Compartment = z.infer<typeof CompartmentSchema>;

export const PolicySchema = z
  .object({
    schema: z.literal('kcompart.policy'),
    version: z.literal(POLICY_VERSION),
    generator: z.object({ tool: z.literal('kcompart'), version: z.string() }).strict(),
    compartment: CompartmentSchema,
    allocationSites: z.array(AllocationSiteSchema),
    caches: z.array(CacheSchema),
    accesses: z.array(AccessSchema),
    /** Indirect calls of the compartment with their target sets (additive, version 1; absent in older policies). */
    indirectCalls: z.array(IndirectCallSchema).optional(),
    /** The global variables the legal sets name, with their sizes and how the loader finds them (additive, version 1). */
    globals: z.array(GlobalInfoSchema).optional(),
    /** The static functions that probes attach to, with the neighbours that place them (additive, version 1). */
    functions: z.array(FunctionLayoutSchema).optional(),
  })
  .strict();
export type Policy = z.infer<typeof PolicySchema>;
