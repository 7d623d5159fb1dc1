// What the analysis may be told about code outside the program it reads in
// full (issue 12 item 4): facts computed elsewhere — per-TU summaries of the
// context — in the portable form points-to prints (`site:<id>@0`,
// `global:<key>@8`, `function:<key>@0`, `typeany:<type>@0`, `stack:<fn>@0`,
// `unknown@*`). Points-to seeds the results of calls into that code and the
// fields and globals it writes from them instead of falling back to "any object
// of the debug type"; legal sets admit its allocation sites and globals.
import type { AllocationSite, Cache } from '../policy/schema.js';
import type { Allocator } from './allocators.js';

export interface ExternalFacts {
  /** A name for reports: the TUs the facts come from (source_filename each). */
  modules: string[];
  /** Allocation sites of that code, with their types. */
  sites: AllocationSite[];
  caches: Cache[];
  /** Allocator wrappers it defines (exported symbols): calls to them are allocation sites of the program. */
  wrappers: Allocator[];
  /**
   * Its global variables by key: the record type name (qualifiers stripped), or for an array of
   * records the element's (`struct list_head[11]`: its cells are the global's, not the record's),
   * and whether per-cpu.
   */
  globals: Map<string, { typeName?: string; elementTypeName?: string; percpu: boolean }>;
  /** Its exported functions' results: symbol → what the returned pointer may point to. */
  returns: Map<string, string[]>;
  /**
   * Cells it writes: `T:<record>@<off>` (a field of any object of that type) and `G:<global>@<off>`
   * (a global without a record type), `@*` for an unknown offset → what they may hold.
   */
  cells: Map<string, string[]>;
  /**
   * Where its exported functions put their callers' arguments: symbol → (parameter index, the cell
   * it is stored into, the byte offset into the argument's object the cell receives).
   */
  parameterCells: Map<string, { index: number; cell: string; offset: number | '*' }[]>;
  /**
   * The other keys of the bytes a type-field cell key names (`T:struct inet_protosw@0` →
   * `T:struct list_head@0`: the same memory as a cell of the records around and inside it),
   * undefined when there are more than the facts follow. A pointer stored under one is read by a
   * load under any other: points-to seeds a cell with what `cells` holds under its other keys.
   */
  cellViews?: (cell: string) => readonly string[] | undefined;
  /** Cells it loads from (same keys as `cells`): read by code of the program's, so they get the typed fallback when nothing writes them. */
  loadedCells: string[];
  /** The record types its debug info describes, with what containment needs of each. */
  records: RecordFacts[];
  /**
   * What its code passes to the program's functions: function key (`module::name` when static) →
   * parameter index → what the argument may point to (portable references, the union over its
   * direct calls to that function and its indirect calls whole-program matching sends there).
   * Points-to binds them to the function's formals, beside whatever else they receive.
   */
  arguments?: Map<string, Map<number, string[]>>;
  /**
   * Program functions every caller of which is known (closed world, see `analyzeWithSummaries`):
   * their parameters receive what those callers pass and nothing else — no "any object of the
   * debug type" for a caller outside the program.
   */
  closed?: Set<string>;
  /** Which allocation sites a pointer the analysis lost may point to, over the whole program (summary/escape.ts). */
  escape?: EscapeFacts;
  /** Its functions that return a pointer into an skb's head buffer when the listed functions do (analysis/skbheads.ts). */
  skbHeadReturns?: Map<string, readonly string[]>;
}

/**
 * The whole program's escape closure, asked once the program's own points-to is solved: that
 * solve adds its own escaping objects (what it absorbs into "unknown" or stores through a lost
 * pointer), since facts seeded into it may lose what a TU's own analysis kept.
 */
export interface EscapeFacts {
  /**
   * The allocation sites (ids) no lost pointer may point to, given the program's own escaping
   * objects (`site:<id>`, `param:<f>:<i>`, `stack:<f>`, `global:<key>`, and the references of
   * these facts it read as lost: `result:<g>`, `passed:<f>:<i>`, `va:<g>`): a typed fallback
   * leaves them out, typeless buffers and typed sites alike.
   */
  confinedSites(programEscapes: readonly string[]): ReadonlySet<string>;
}

/**
 * What containment needs of one record type: its size, the records it embeds (through arrays too),
 * the records it starts with (a member at offset 0), and the records whose `*` is its first member
 * (it may be a sentinel list head posing as one). Computed per TU for summaries, so a context read
 * only as summaries gives the same relations as its modules would.
 */
export interface RecordFacts {
  name: string;
  size?: number;
  embeds: string[];
  startsWith: string[];
  headOf: string[];
  /** Its record members with their byte offsets (-1: an element of an array of them, at any offset). */
  embedsAt?: [string, number][];
  /**
   * Bytes of the links to its own type it starts with (`sk_buff`'s `next` and `prev`: 16), what a
   * list head posing as one mirrors; absent when it starts with none or facts do not say (summaries).
   */
  selfLinks?: number;
}
