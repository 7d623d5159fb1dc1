// Owns the TypeScript view of the C constants of runtime/include/kcompart.h
// (region bits, site flags, sizes, knob defaults, counter slots). Generated
// from the header by scripts/gen-constants.ts (npm run gen:constants); do not
// edit: test/emit/constants.test.ts fails when it is out of date. Values past
// Number.MAX_SAFE_INTEGER are bigints.

/** Every `#define KC_<NAME>` integer of kcompart.h, by NAME. */
export const KC = {
  PAGE_SHIFT: 12,
  /** (1ULL << KC_PAGE_SHIFT) */
  PAGE_SIZE: 4096,
  COMM_LEN: 16,
  CACHE_NAME_LEN: 32,
  MAX_SITES: 65536,
  MAX_GLOBALS: 65536,
  /** KC_MAX_GLOBALS */
  MAX_SITE_GLOBALS: 65536,
  SITE_GLOBAL_STEPS: 17,
  MAX_CACHES: 131072,
  MAX_TYPED_CACHES: 8192,
  MAX_ALLOWED: 262144,
  MAX_ALLOWED_ALL: 16777216,
  MAX_OBJECTS: 262144,
  MAX_PAGE_BLOCKS: 65536,
  MAX_VM_PAGES: 131072,
  MAX_AREA_PAGES: 16384,
  MAX_VM_CALLERS: 1024,
  MAX_SKB_HEADS: 65536,
  MAX_SKB_CTORS: 16,
  /** (16ULL << 20) */
  MAX_SYMBOL_BYTES: 16777216,
  PEEK_SLOTS: 64,
  MAX_ORDER: 10,
  MAX_ERRNO: 4095,
  MAX_BULK: 4096,
  MAX_ADOPTED: 131072,
  MAX_PENDING: 8192,
  /** (256 * 1024) */
  RINGBUF_BYTES: 262144,
  MAX_DENY: 64,
  MAX_FNS: 16384,
  MAX_FN_PAGES: 16384,
  ALLOC_FRAMES: 16,
  FN_SEARCH_STEPS: 14,
  MAX_STACKS: 4096,
  STACK_DEPTH: 32,
  THREAD_SIZE_ORDER: 2,
  THREAD_SIZE_ORDER_KASAN: 3,
  /** 0xffff888000000000ULL */
  L4_PAGE_OFFSET: 0xffff888000000000n,
  /** 0xffffc90000000000ULL */
  L4_VMALLOC_START: 0xffffc90000000000n,
  /** 0xffffea0000000000ULL */
  L4_VMEMMAP_START: 0xffffea0000000000n,
  /** (64ULL << 40) */
  L4_DIRECT_MAP_BYTES: 70368744177664,
  /** (32ULL << 40) */
  L4_VMALLOC_BYTES: 35184372088832,
  /** (1ULL << 40) */
  L4_VMEMMAP_BYTES: 1099511627776,
  /** 0xff11000000000000ULL */
  L5_PAGE_OFFSET: 0xff11000000000000n,
  /** 0xffa0000000000000ULL */
  L5_VMALLOC_START: 0xffa0000000000000n,
  /** 0xffd4000000000000ULL */
  L5_VMEMMAP_START: 0xffd4000000000000n,
  /** (32ULL << 50) */
  L5_DIRECT_MAP_BYTES: 0x80000000000000n,
  /** (25ULL << 49) */
  L5_VMALLOC_BYTES: 0x32000000000000n,
  /** (1ULL << 49) */
  L5_VMEMMAP_BYTES: 562949953421312,
  /** (1u << 0) */
  R_STACK: 1,
  /** (1u << 1) */
  R_GLOBAL: 2,
  /** (1u << 2) */
  R_SLAB: 4,
  /** (1u << 3) */
  R_BUDDY: 8,
  /** (1u << 4) */
  R_VMALLOC: 16,
  /** (1u << 5) */
  R_PERCPU: 32,
  /** (1u << 6) */
  R_VMEMMAP: 64,
  /** (1u << 7) */
  R_RUNTIME: 128,
  /** (1u << 31) */
  R_ANY: 2147483648,
  /** (1ULL << 10) */
  EFLAGS_DF: 1024,
  /** (1u << 31) */
  SITE_GS: 2147483648,
  /** (1u << 0) */
  F_TRACKED_SLAB: 1,
  /** (1u << 1) */
  F_UNTRACKED_SLAB: 2,
  /** (1u << 2) */
  F_TRACKED_BUDDY: 4,
  /** (1u << 3) */
  F_UNTRACKED_BUDDY: 8,
  /** (1u << 4) */
  F_TRACKED_VMALLOC: 16,
  /** (1u << 5) */
  F_UNTRACKED_VMALLOC: 32,
  /** (1u << 6) */
  F_FOREIGN: 64,
  /** (1u << 7) */
  F_PERCPU_AREAS: 128,
  /** (1u << 8) */
  F_PERCPU_ANY: 256,
  /** (1u << 9) */
  F_SKB_HEAD: 512,
  /** 0xffffffffu */
  ALLOC_ADOPTED: 4294967295,
  /** 0x80000000u */
  VM_ALLOC_BASE: 2147483648,
  /** 0x40000000u */
  FN_ALLOC_BASE: 1073741824,
  /** 0xfffffffdu */
  ALLOC_UNKNOWN_SITE: 4294967293,
  /** 0xfffffffeu */
  ALLOC_NONE: 4294967294,
  PASS: 0,
  VIOLATION: 1,
  UNKNOWN_SITE: 2,
  REPORT: 3,
  OLD_PASS: 0,
  OLD_REPORT: 1,
  OLD_VIOLATION: 2,
  ON_VIOLATION_REPORT: 0,
  ON_VIOLATION_KILL: 1,
  EVENT_VIOLATION: 0,
  EVENT_UNKNOWN: 1,
  /** (4ULL << 30) */
  PERCPU_VM_WINDOW: 4294967296,
  /** 0xffffffffULL */
  MATRIX_WHERE: 4294967295,
  MAX_FOREIGN_SIZES: 65536,
  MAX_REPORTED: 16384,
  REG_AX: 0,
  REG_CX: 1,
  REG_DX: 2,
  REG_BX: 3,
  REG_SP: 4,
  REG_BP: 5,
  REG_SI: 6,
  REG_DI: 7,
  REG_NONE: 16,
  KIND_WRITE: 0,
  KIND_REP: 1,
  KIND_WRITER: 2,
  /** (1u << 0) */
  RCP_VALID: 1,
  /** (1u << 1) */
  RCP_BASE32: 2,
  /** (1u << 2) */
  RCP_INDEX32: 4,
  /** (1u << 3) */
  RCP_RELOC: 8,
} as const;

/** The slots of the per-cpu counter array (enum kc_counter), by name without KC_CNT_. */
export const KC_COUNTER = {
  CHECKS: 0,
  PASSES: 1,
  VIOLATIONS: 2,
  AUDITED: 3,
  DROPS: 4,
  UNKNOWN_SITE: 5,
  TRACKED: 6,
  ADOPTED: 7,
  FREED: 8,
  TRACK_FULL: 9,
  UNTRACKED_PASS: 10,
  PASS_STACK: 11,
  PASS_GLOBAL: 12,
  PASS_SLAB: 13,
  PASS_BUDDY: 14,
  PASS_VMALLOC: 15,
  PASS_PERCPU: 16,
  PASS_VMEMMAP: 17,
  FOREIGN_PASS: 18,
  UNKNOWN_OWNER: 19,
  REPORTED: 20,
  KILLED: 21,
  KILL_SKIPPED: 22,
  DENIED: 23,
  CROSSED: 24,
  KALLOC: 25,
  KALLOC_UNKNOWN: 26,
  KALLOC_DROPS: 27,
  UNKNOWN_PROBE: 28,
  SKB_HEADS: 29,
  SKB_HEAD_DROPS: 30,
  PASS_SKB_HEAD: 31,
  MAX: 32,
} as const;
