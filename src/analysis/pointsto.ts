// Points-to analysis (DESIGN.md §3): flow-insensitive, field-sensitive,
// inclusion-based (Andersen) over abstract objects — allocation sites, globals,
// stack slots, functions, "any object of debug type T" and "unknown". Memory
// is modelled by cells: a field of an object of struct type T is the type-field
// cell T+offset (what any T object's field may hold); other objects have cells
// of their own. SSA values flow through casts, GEPs (constant offsets kept),
// phi, select, integer arithmetic on addresses, direct and indirect calls and
// returns. Origins outside the program (external results, cells no code of the
// program stores to, parameters of functions callable from outside) fall back
// to "any object of the debug-info type".
import type { Metadata } from '../ir/metadata.js';
import type { CallBase, Instruction } from '../ir/instructions.js';
import { isCallBase } from '../ir/instructions.js';
import { typeToString } from '../ir/types.js';
import type { Function, GlobalVariable, Value } from '../ir/values.js';
import type { AllocationSite } from '../policy/schema.js';
import { isRecord, membersAt, pointeeOf, sizeOf, stripQualifiers, typeKey, typeName } from './ditypes.js';
import { fitsInHalfWord, stripCasts } from './flow.js';
import { isPageDescriptor, pageOfAddress } from './pages.js';
import { asmOnlyMovesBytes, asmOperands } from './writes.js';
import { boundVariables, type BoundVariable, globalDebugType, offsetBindings, signatureTypes } from './debugvars.js';
import { constantPointers, gepOffset } from './layout.js';
import { prototypeOf, prototypeOfPointer } from './prototypes.js';
import type { ExternalFacts } from './external.js';
import { type Located, Program, type ProgramModule } from './program.js';

/** An abstract memory object. */
export type AbstractObject =
  /**
   * An allocation site's objects; with `pages`, the memory of the pages a `struct page *` site
   * allocates (what `page_address(page)` points into: a typeless buddy block), not their descriptors.
   */
  | { kind: 'site'; site: AllocationSite; cellBase: string; pages?: true }
  /** A global; `global` is absent for one only {@link ExternalFacts} know (its record type name then in `typeName`). */
  | { kind: 'global'; key: string; global?: GlobalVariable; typeName?: string; percpu: boolean; cellBase: string }
  | { kind: 'stack'; function: string; cellBase: string }
  /** A function; `fn` is absent for one only {@link ExternalFacts} know (a static function of another TU). */
  | { kind: 'function'; key: string; fn?: Located<Function>; cellBase: string }
  /** Any object whose debug type is T (or contains a T); `type` is null for a type only external facts name. */
  | { kind: 'typeany'; typeKey: string; typeName: string; type: Metadata | null; cellBase: string }
  /**
   * What callers outside the program pass as parameter `index` of exported `fn` (per-TU summaries
   * only, `markParameters`): it stands beside "any object of the parameter's type" so a summary can
   * say where a caller's argument ends up (a field, the result). Same cells as that type's.
   */
  | { kind: 'param'; fn: string; index: number; type: Metadata | null; cellBase: string }
  | { kind: 'unknown'; cellBase: string };

/** Offsets are bytes from the object's start; UNKNOWN when not constant. */
export { UNKNOWN } from './layout.js';
import { UNKNOWN } from './layout.js';
/** Distinct non-zero offsets into one object a value may hold before its offset becomes unknown. */
const MAX_OFFSETS_PER_OBJECT = 6;
/** Offsets beyond this (far past any kernel struct) are treated as unknown. */
const MAX_OFFSET = 0x10000;

/**
 * The (object, offset) pairs that points-to sets hold, interned as dense small integers. Sets of
 * small integers stay unboxed in V8; an `object * span + offset` code outgrows them past 2,048
 * objects, and every set entry of a large TU then becomes a heap number to allocate and collect.
 */
class Elements {
  readonly objectOf: number[] = [];
  readonly offsetOf: number[] = [];
  private readonly byObject: Map<number, number>[] = [];
  encode(obj: number, off: number): number {
    const at = off === UNKNOWN || off <= -MAX_OFFSET || off >= MAX_OFFSET ? UNKNOWN : off;
    let offsets = this.byObject[obj];
    if (!offsets) this.byObject[obj] = offsets = new Map();
    let e = offsets.get(at);
    if (e === undefined) {
      e = this.objectOf.length;
      this.objectOf.push(obj);
      this.offsetOf.push(at);
      offsets.set(at, e);
    }
    return e;
  }
  private readonly stars: number[] = [];
  /** `encode(obj, UNKNOWN)`, without the map. */
  star(obj: number): number {
    return (this.stars[obj] ??= this.encode(obj, UNKNOWN));
  }
  /** The element `delta` bytes further into the same object. */
  shift(e: number, delta: number): number {
    if (delta === 0) return e;
    const off = this.offsetOf[e]!;
    if (off === UNKNOWN || delta === UNKNOWN) return this.star(this.objectOf[e]!);
    return this.encode(this.objectOf[e]!, off + delta);
  }
}

const PTR_INT_BITS = 64;

/** A value the analysis follows: a pointer, or a pointer-sized integer (`unsigned long addr`). */
export const isPointerish = (v: Value): boolean => v.type.kind === 'pointer' || (v.type.kind === 'int' && v.type.bits === PTR_INT_BITS);

/** The solved points-to relation. */
export class PointsTo {
  readonly objects: AbstractObject[] = [];
  private readonly elements = new Elements();
  private enc(obj: number, off: number): number {
    return this.elements.encode(obj, off);
  }
  private objOf(e: number): number {
    return this.elements.objectOf[e]!;
  }
  private offOf(e: number): number {
    return this.elements.offsetOf[e]!;
  }
  private readonly objectIndex = new Map<string, number>();
  private readonly allocaIndex = new Map<Instruction, number>();
  private readonly nodeOf = new Map<Value, number>();
  private readonly pts: Set<number>[] = [];
  /** Per node: its out-edges as flat (target, offset delta) pairs, in the order they were added. */
  private readonly edges: number[][] = [];
  /** Per node: 1 once its set holds "unknown" (which then absorbs all but kept elements). */
  private readonly holdsUnknown: number[] = [];
  private readonly loadsFrom: number[][] = []; // node p → nodes loaded from *p
  private readonly storesTo: number[][] = []; // node p → nodes stored into *p
  private readonly callsThrough: { call: CallBase; module: ProgramModule }[][] = [];
  private readonly cellIndex = new Map<string, number>();
  private readonly cellsOfBase = new Map<string, number[]>();
  private readonly starReaders = new Map<string, number[]>(); // base → nodes reading every cell
  private readonly starReaderSet = new Map<string, Set<number>>(); // the same, for membership
  /** Per node with a long edge list: its edges' {@link edgeKey}s (see addEdge). */
  private readonly edgeKeys = new Map<number, Set<number>>();
  private readonly cellWritten = new Set<number>();
  private readonly cellInfo = new Map<number, { base: string; off: number; obj: number }>();
  private readonly loadedCells = new Set<number>();
  private readonly work: number[] = [];
  private readonly delta: (number[] | undefined)[] = [];
  private readonly offsetCount = new Map<number, number>();
  /** Edges collected while constraints are generated, before cycles are found. */
  private pending: number[] | undefined = [];
  private readonly inWork: Uint8Array[] = [];
  private readonly formals = new Map<Function, number[]>();
  /** Formal node → the program's arguments bound to it, at direct and resolved indirect calls. */
  private readonly actuals = new Map<number, { value: Value; module: ProgramModule }[]>();
  /**
   * Formal nodes code outside the program may pass a lost pointer to: `open` when callers outside
   * may exist at all (open world), `context` when a caller the external facts describe passes one.
   */
  private readonly formalsFromOutside = new Map<number, 'open' | 'context'>();
  private readonly returns = new Map<Function, number>();
  private readonly boundCalls = new Set<string>();
  private readonly debugTypeOfNode = new Map<number, Metadata | null>();
  /**
   * Nodes of values every debug variable bound to which is a pointer to one record T: T's debug
   * type ({@link noteTypedStore}).
   */
  private readonly typedNodes = new Map<number, Metadata>();
  /**
   * Store addresses at a constant offset from a value bound to a `T *` variable: T's cell there
   * (as an element). A store through such an address the analysis lost writes a field of some T
   * — the typed fallback of the write says so — so what it stores goes to that cell, where every
   * reader of T's field finds it, instead of escaping everywhere.
   */
  private readonly typedStoreCell = new Map<number, number>();
  private readonly addressTaken: Located<Function>[] = [];
  readonly unknownObject: number;
  private readonly unknownElement: number;
  /** Sites by the call instruction that makes them. */
  private readonly siteOfCall = new Map<Instruction, AllocationSite>();
  /**
   * Escape accounting ({@link escapingObjects}): nodes whose values go where the analysis follows
   * nothing (stored through a lost pointer, handed to an asm statement that may store them).
   */
  private readonly sinkNodes = new Set<number>();
  /** Objects a set recorded as `unknown@*` held too ({@link portable}). */
  private readonly lostAtOutput = new Set<number>();
  /**
   * Whether "unknown" keeps typeless sites beside it in a node. For legal sets alone it absorbs
   * everything: a value that may point anywhere is written through with no check. With escapes
   * accounted, a buffer beside "unknown" stays named wherever the value goes, so a lost pointer
   * does not make it escape (keeping every kind of object there costs too much: a large TU's solve
   * grew 25 times slower and past gigabytes).
   */
  private readonly keepsSites: boolean;
  /**
   * Whether an element stays beside "unknown" in a node's set: with escapes accounted, typeless
   * sites (buffers, with cells of their own) do — what else "unknown" absorbs escapes
   * ({@link absorbed}); else nothing does.
   */
  private keptBeside(e: number): boolean {
    if (!this.trackEscapes) return false;
    if (this.isKeptSite(e)) return true;
    this.absorbed.add(this.objOf(e));
    return false;
  }
  /** A typeless site (with cells of its own) when "unknown" keeps those beside it ({@link keepsSites}). */
  private isKeptSite(e: number): boolean {
    const o = this.objects[this.objOf(e)]!;
    return this.keepsSites && o.kind === 'site' && hasOwnCells(o.cellBase);
  }
  /** Objects other than typeless sites a node holding "unknown" absorbed (escapes accounted). */
  private readonly absorbed = new Set<number>();
  /** Kept sites a pointer holding "unknown" loaded through: what their own cells hold escapes. */
  private readonly readLost = new Set<number>();
  /** Whether escapes are accounted: for summaries, and for a program whose external facts ask (`ExternalFacts.escape`). */
  private readonly trackEscapes: boolean;
  /** Per-TU summaries: whether memory past a record's end is typed by the variable naming it ({@link collectPrivateAreas}). */
  private readonly typesPrivateAreas: boolean;
  /**
   * Private areas past a record's end, typed by the variable that names them (per-TU summaries,
   * {@link collectPrivateAreas}): `T:R` → where a `P` starts. A driver's fields behind
   * `netdev_priv(dev)` are then `struct tg3`'s cells, not cells past `struct net_device`'s end,
   * whose fallback is "unknown": a buffer stored through one of them no longer escapes.
   */
  private readonly privateAreas = new Map<string, { offset: number; type: Metadata; size: number }[]>();
  /** `T:P` → the `T:R` whose private area a `P` is: what reads or writes all of R reaches P's cells too. */
  private readonly privateOwners = new Map<string, string[]>();

  constructor(
    private readonly program: Program,
    sites: readonly AllocationSite[],
    siteCalls: ReadonlyMap<string, Instruction>,
    private readonly external?: ExternalFacts,
    /** Per-TU summaries: mark each exported function's pointer parameters (see the `param` object). */
    private readonly markParameters = false,
    /**
     * The other cell keys of a type-field cell's bytes (`RecordViews.otherKeys`, undefined past the
     * keys followed): a cell is joined with the program's own cells of those keys and seeded with
     * what the external facts store under them. Default: the external facts' `cellViews`.
     */
    views?: (cell: string) => readonly string[] | undefined,
  ) {
    this.views = views ?? external?.cellViews;
    this.trackEscapes = markParameters || external?.escape !== undefined;
    this.typesPrivateAreas = markParameters;
    this.keepsSites = this.trackEscapes;
    this.unknownObject = this.object('unknown', () => ({ kind: 'unknown', cellBase: 'unknown' }));
    this.unknownElement = this.enc(this.unknownObject, UNKNOWN);
    for (const s of sites) {
      const call = siteCalls.get(s.id);
      if (call) this.siteOfCall.set(call, s);
      this.siteById.set(s.id, s);
    }
    for (const s of external?.sites ?? []) if (!this.siteById.has(s.id)) this.siteById.set(s.id, s);
  }

  /** Every site by id, the program's and the external facts': what portable references name. */
  private readonly siteById = new Map<string, AllocationSite>();

  /**
   * The element a portable reference ({@link refOf} form) stands for, or undefined when it names
   * nothing this analysis knows (a site id never seen): then the caller widens.
   */
  private elementOfRef(ref: string): number | undefined {
    const at = ref.lastIndexOf('@');
    const offText = ref.slice(at + 1);
    const off = offText === '*' ? UNKNOWN : Number(offText);
    const colon = ref.indexOf(':');
    const kind = colon < 0 ? ref.slice(0, at) : ref.slice(0, colon);
    const rest = ref.slice(colon + 1, at);
    switch (kind) {
      case 'unknown':
        return this.unknownElement;
      case 'site':
      case 'pages': {
        const s = this.siteById.get(rest);
        if (!s) return undefined;
        return this.enc(kind === 'site' ? this.siteObject(s) : this.pageMemoryObject(s), off);
      }
      case 'stack':
        return this.enc(
          this.object(`stack:external:${rest}`, () => ({ kind: 'stack', function: rest, cellBase: `S:external:${rest}` })),
          off,
        );
      case 'typeany': {
        const t = this.compositeByName().get(rest);
        const o = t ? this.typeAny(t) : this.foreignTypeAny(rest);
        return o === undefined ? undefined : this.enc(o, off);
      }
      case 'global': {
        const own = rest.includes('::') ? undefined : this.program.lookup(rest);
        if (own?.value.kind === 'global') return this.enc(this.globalObject(own.module, own.value), off);
        const g = this.external?.globals.get(rest);
        return this.enc(
          this.object(`global:${rest}`, () => ({
            kind: 'global',
            key: rest,
            percpu: g?.percpu ?? false,
            ...(g?.typeName ? { typeName: g.typeName } : {}),
            cellBase: g?.typeName ? `T:${g.typeName}` : `G:${rest}`,
          })),
          off,
        );
      }
      case 'function': {
        const own = rest.includes('::') ? undefined : this.program.lookup(rest);
        if (own?.value.kind === 'function') return this.enc(this.functionObject(own.module, own.value), off);
        return this.enc(
          this.object(`function:${rest}`, () => ({ kind: 'function', key: rest, cellBase: `F:${rest}` })),
          off,
        );
      }
      default:
        return undefined;
    }
  }

  /** An object whose cells are those of a shared cell base (`T:struct sock`, `G:name`), or undefined. */
  private objectOfCellBase(base: string): number | undefined {
    let obj: number | undefined;
    if (base.startsWith('T:')) {
      const name = base.slice(2);
      const t = this.compositeByName().get(name);
      obj = t ? this.typeAny(t) : this.foreignTypeAny(name);
    } else if (base.startsWith('G:')) {
      const e = this.elementOfRef(`global:${base.slice(2)}@0`);
      obj = e === undefined ? undefined : this.objOf(e);
    }
    return obj === undefined || this.objects[obj]!.cellBase !== base ? undefined : obj;
  }

  /** "Any object of T" for a record type only external facts name (no debug type in the program). */
  private foreignTypeAny(name: string): number {
    return this.object(`typeany:external:${name}`, () => ({
      kind: 'typeany',
      typeKey: name,
      typeName: name,
      type: null,
      cellBase: `T:${name}`,
    }));
  }

  /** External cells by base (`T:struct sock` → its offsets), built once. */
  private externalCellsByBase: Map<string, { off: number; loaded: boolean }[]> | undefined;
  private readonly materialized = new Set<string>();
  /** Creates (and so seeds) every cell of `base` the external facts write, for readers of the whole object. */
  private materializeExternalCells(obj: number, base: string): void {
    if (!this.external || this.materialized.has(base)) return;
    this.materialized.add(base);
    if (!this.externalCellsByBase) {
      this.externalCellsByBase = new Map();
      const index = (key: string, loaded: boolean): void => {
        const at = key.lastIndexOf('@');
        const b = key.slice(0, at);
        const o = key.slice(at + 1);
        const list = this.externalCellsByBase!.get(b) ?? [];
        list.push({ off: o === '*' ? UNKNOWN : Number(o), loaded });
        this.externalCellsByBase!.set(b, list);
      };
      for (const key of this.external.cells.keys()) index(key, false);
      for (const key of this.external.loadedCells) index(key, true);
    }
    for (const { off, loaded } of this.externalCellsByBase.get(base) ?? []) {
      const c = this.cell(obj, off);
      // a cell external code reads and no code writes gets the typed fallback, as it would with its modules here
      if (loaded) this.loadedCells.add(c);
    }
  }

  /** Seeds a node with what external facts say (a reference nothing names widens to unknown). */
  private seedRefs(n: number, refs: readonly string[]): void {
    for (const r of refs) {
      // a caller's argument: bound at the call (bindExternalParameters); the typed fallback beside it is there too
      if (r.startsWith('param:')) continue;
      const e = this.elementOfRef(r);
      // what another TU's function returns or passes on (`result:g`, `passed:f:i`, `va:g`): lost here
      if (e === undefined && SYMBOLIC_REF.test(r)) this.unresolved.add(r.slice(0, r.lastIndexOf('@')));
      this.addPts(n, e ?? this.unknownElement);
    }
  }
  /** Symbolic references of the external facts seeded as "unknown" ({@link escapingObjects} names them). */
  private readonly unresolved = new Set<string>();

  // ------------------------------------------------------------ objects, nodes, cells

  private object(key: string, make: () => AbstractObject): number {
    let id = this.objectIndex.get(key);
    if (id === undefined) {
      id = this.objects.length;
      this.objects.push(make());
      this.objectIndex.set(key, id);
    }
    return id;
  }

  /** The object "any object of debug type T" (undefined for void / scalars). */
  typeAny(t: Metadata | null | undefined): number | undefined {
    const s = t === undefined ? null : stripQualifiers(t);
    if (!s || !isRecord(s)) return undefined;
    const key = typeKey(s);
    return this.object(`typeany:${key}`, () => ({
      kind: 'typeany',
      typeKey: key,
      typeName: typeName(s),
      type: s,
      cellBase: `T:${typeName(s)}`,
    }));
  }

  private globalObject(module: ProgramModule, g: GlobalVariable): number {
    const def = this.program.resolve(module, g);
    const gv = def.value.kind === 'global' ? def.value : g;
    const key = Program.keyOf(def.module, def.value);
    return this.object(`global:${key}`, () => {
      const t = stripQualifiers(globalDebugType(gv));
      const ext = gv.isDeclaration ? this.external?.globals.get(key) : undefined;
      const percpu = (gv.section ?? '').startsWith('.data..percpu') || (ext?.percpu ?? false);
      // a global the program only declares has no debug type here; the external facts' record
      // type puts its fields in the same type-field cells the defining TU's analysis used
      const record = t && isRecord(t) ? typeName(t) : ext?.typeName;
      return {
        kind: 'global',
        key,
        global: gv,
        ...(record && !(t && isRecord(t)) ? { typeName: record } : {}),
        percpu,
        cellBase: record ? `T:${record}` : `G:${key}`,
      };
    });
  }

  private functionObject(module: ProgramModule, f: Function): number {
    const def = this.program.resolve(module, f);
    const key = Program.keyOf(def.module, def.value);
    return this.object(`function:${key}`, () => ({ kind: 'function', key, fn: def as Located<Function>, cellBase: `F:${key}` }));
  }

  private newNode(): number {
    const n = this.pts.length;
    this.pts.push(new Set());
    this.edges.push([]);
    this.holdsUnknown.push(0);
    this.loadsFrom.push([]);
    this.storesTo.push([]);
    this.callsThrough.push([]);
    return n;
  }

  /** The node of a value (constants get nodes holding what they point to). */
  node(v: Value, module: ProgramModule): number {
    let n = this.nodeOf.get(v);
    if (n !== undefined) return n;
    n = this.newNode();
    this.nodeOf.set(v, n);
    // constants point to their globals directly
    const c = stripCasts(v);
    if (c.kind === 'global') this.addPts(n, this.enc(this.globalObject(module, c), 0));
    else if (c.kind === 'function') this.addPts(n, this.enc(this.functionObject(module, c), 0));
    else if (c.kind === 'expr') this.constantExpr(c, n, module);
    return n;
  }

  private constantExpr(c: Value & { kind: 'expr' }, n: number, module: ProgramModule): void {
    if (c.opcode === 'getelementptr') {
      const base = this.node(c.operands[0]!, module);
      this.addEdge(base, n, gepOffset(c.operands, c.sourceElementType));
    } else {
      for (const o of c.operands)
        if (isPointerish(o) || o.kind === 'expr' || o.kind === 'global')
          this.addEdge(
            this.node(o, module),
            n,
            c.opcode === 'ptrtoint' || c.opcode === 'ptrtoaddr' || c.opcode === 'inttoptr' || c.opcode === 'bitcast' ? 0 : UNKNOWN,
          );
    }
  }

  /** The object and offset whose cell an element is: a private area's bytes are its record's (`netdev_priv`). */
  private cellPlace(obj: number, off: number): [number, number] {
    const base = this.objects[obj]!.cellBase;
    if (off !== UNKNOWN && this.privateAreas.size) {
      const area = this.privateAreas.get(base)?.find((a) => off >= a.offset && off < a.offset + a.size);
      const p = area && this.typeAny(area.type);
      if (p !== undefined) return this.cellPlace(p, off - area!.offset);
    }
    return [obj, off];
  }

  private cell(at: number, offset: number): number {
    const [obj, off] = this.cellPlace(at, offset);
    const base = this.objects[obj]!.cellBase;
    const key = `${base}@${off === UNKNOWN ? '*' : off}`;
    let c = this.cellIndex.get(key);
    if (c === undefined) {
      c = this.newNode();
      this.cellIndex.set(key, c);
      this.cellInfo.set(c, { base, off, obj });
      let list = this.cellsOfBase.get(base);
      if (!list) {
        list = [];
        this.cellsOfBase.set(base, list);
      }
      list.push(c);
      // what code outside the program (per external facts) stores in this cell
      const ext = this.external?.cells.get(key);
      if (ext) {
        this.cellWritten.add(c);
        this.seedRefs(c, ext);
      }
      if (this.seedingViews) this.seedViews(c, key, true);
      // readers of every cell of this base read this one too
      for (const r of this.starReaders.get(base) ?? []) this.addEdge(c, r, 0);
      // a private area is its owner's memory too: what is read or written at an unknown offset of it
      for (const owner of this.privateOwners.get(base) ?? []) {
        for (const r of this.starReaders.get(owner) ?? []) this.addEdge(c, r, 0);
        const o = this.objectOfCellBase(owner);
        if (o !== undefined) this.addEdge(this.cell(o, UNKNOWN), c, 0);
      }
      if (off !== UNKNOWN) {
        // a cell at a known offset also holds what was stored at an unknown offset
        const star = this.cell(obj, UNKNOWN);
        this.addEdge(star, c, 0);
      }
    }
    return c;
  }

  /** Nodes that never hold "unknown": the values of self-updating stores ({@link isSelfUpdate}). */
  private readonly dropsUnknown = new Set<number>();

  private addPts(n: number, e0: number): void {
    const s = this.pts[n]!;
    if (s.has(e0)) return;
    let e = this.objOf(e0) === this.unknownObject ? this.unknownElement : e0;
    if (s.has(e)) return;
    if (e === this.unknownElement && this.dropsUnknown.has(n)) return;
    // "unknown" absorbs (unless escapes are accounted): a value that may point anywhere is
    // written through with no check and loads through it yield unknown, so nothing else it holds
    // changes a legal set
    if (s.has(this.unknownElement) && !this.keptBeside(e)) return;
    if (e === this.unknownElement && s.size) {
      for (const x of s) if (!this.keptBeside(x)) s.delete(x);
      s.add(e);
      this.holdsUnknown[n] = 1;
      // kept elements not yet passed on still are
      this.delta[n] = [...(this.delta[n] ?? []).filter((x) => s.has(x)), e];
      this.enqueue(n);
      return;
    }
    const off = this.offOf(e);
    if (off !== UNKNOWN) {
      const obj = this.objOf(e);
      const star = this.elements.star(obj);
      // (obj, unknown) already covers every offset of obj
      if (s.has(star)) return;
      if (off !== 0) {
        // k-limiting: a value holding many offsets into one object (a pointer advanced in a
        // loop through memory, `skb->data += len`) holds an unknown offset into it
        const key = n * 65536 + (obj & 0xffff) + Math.floor(obj / 65536) * 1e10;
        const c = (this.offsetCount.get(key) ?? 0) + 1;
        this.offsetCount.set(key, c);
        if (c > MAX_OFFSETS_PER_OBJECT) e = star;
        if (s.has(e)) return;
      }
    }
    s.add(e);
    if (e === this.unknownElement) this.holdsUnknown[n] = 1;
    // difference propagation: a node passes on only what it gained since it was last processed
    const d = this.delta[n];
    if (d) d.push(e);
    else this.delta[n] = [e];
    this.enqueue(n);
  }
  private enqueue(n: number): void {
    const page = n >> 16;
    const bits = (this.inWork[page] ??= new Uint8Array(65536));
    if (bits[n & 0xffff]) return;
    bits[n & 0xffff] = 1;
    this.work.push(n);
  }
  private addEdge(from: number, to: number, delta: number): void {
    if (this.pending) {
      this.pending.push(from, to, delta);
      return;
    }
    const list = this.edges[from]!;
    // dedup: a short list is scanned; a long one (a cell many loads read) keeps a set of its
    // (to, delta) keys, so adding an edge stays O(1) — the list keeps its order, and so the
    // propagation order (which k-limiting depends on) is unchanged
    if (list.length < 2 * EDGE_SCAN || delta < -0x80000000 || delta >= 0x80000000) {
      for (let k = 0; k < list.length; k += 2) if (list[k] === to && list[k + 1] === delta) return;
    } else {
      let keys = this.edgeKeys.get(from);
      if (!keys) {
        keys = new Set();
        for (let k = 0; k < list.length; k += 2) {
          const d = list[k + 1]!;
          if (d >= -0x80000000 && d < 0x80000000) keys.add(edgeKey(list[k]!, d));
        }
        this.edgeKeys.set(from, keys);
      }
      const k = edgeKey(to, delta);
      if (keys.has(k)) return;
      keys.add(k);
    }
    list.push(to, delta);
    const ts = this.pts[to]!;
    for (const e of this.pts[from]!) {
      const x = this.elements.shift(e, delta);
      if (!ts.has(x)) this.addPts(to, x);
    }
  }

  // ------------------------------------------------------------ constraints

  /** Builds the constraints of the whole program and solves them. */
  solve(): void {
    const t0 = performance.now();
    const log = (what: string): void => {
      if (process.env.KCOMPART_PTS_DEBUG)
        console.error(`pts: ${what} at ${((performance.now() - t0) / 1e3).toFixed(2)} s, ${this.pts.length} nodes`);
    };
    this.markAddressTaken();
    log('address-taken');
    const fns = [...this.program.definedFunctions()];
    if (this.typesPrivateAreas) this.collectPrivateAreas(fns);
    for (const fn of fns) this.noteDebugTypes(fn);
    for (const fn of fns) this.declareFunction(fn);
    log('declared');
    for (const fn of fns) this.constrainFunction(fn);
    log('constrained');
    for (const pm of this.program.modules) for (const g of pm.module.globals) this.constrainInitializer(pm, g);
    log('initializers');
    this.flushPendingEdges();
    log('edges');
    this.propagateWithPages();
    this.fallBackUnwrittenCells(0);
    // then the other keys of a cell's bytes: the program's own cells of them, and what other TUs
    // stored there (ExternalFacts.cellViews); only after the fallbacks, so that a cell no code
    // writes under its own key keeps its fallback: the joins add to what cells hold, never take a
    // fallback away
    if (this.views) {
      this.seedingViews = true;
      const since = this.pts.length;
      for (const [key, c] of [...this.cellIndex]) this.seedViews(c, key);
      this.propagateWithPages();
      this.fallBackUnwrittenCells(since);
    }
    log('fallbacks');
  }

  /**
   * Cells no code of the program writes: what code outside put there, by debug type. `since`: only
   * the cells made from that node on, after the view seeds, which are no writes (their content, and
   * what it flowed into, says nothing of whether their own key is written).
   */
  private fallBackUnwrittenCells(since: number): void {
    const written = (c: number): boolean => this.cellWritten.has(c) || (since === 0 && this.pts[c]!.size > 0);
    for (let round = 0; round < 8; round++) {
      let seeded = false;
      for (const c of this.loadedCells) {
        if (c < since || written(c) || this.fellBack.has(c)) continue;
        const info = this.cellInfo.get(c)!;
        // the unknown-offset cell read by a whole-object read (memcpy's source) is empty when the
        // program wrote the object at known offsets only: those cells are what it holds
        if (info.off === UNKNOWN && (this.cellsOfBase.get(info.base) ?? []).some((x) => x !== c && written(x))) continue;
        this.fellBack.add(c);
        this.addPts(c, this.enc(this.fieldFallback(info.obj, info.off), UNKNOWN));
        seeded = true;
      }
      if (!seeded) break;
      this.propagateWithPages();
    }
  }
  /** Cells given their field's fallback ({@link fallBackUnwrittenCells}). */
  private readonly fellBack = new Set<number>();

  /**
   * Seeds a type-field cell with what the external facts store under the other keys of its bytes,
   * and joins it with the program's own cells of those keys (`made`: a cell made now, which the
   * cells already there read too); past the keys the facts follow, with what code outside may put
   * there by the field's type.
   */
  private seedViews(c: number, key: string, made = false): void {
    if (!this.views || !key.startsWith('T:')) return;
    const others = this.views(key);
    if (others === undefined) {
      const { obj, off } = this.cellInfo.get(c)!;
      this.viewSeeded.add(c);
      this.addPts(c, this.enc(this.fieldFallback(obj, off), UNKNOWN));
      return;
    }
    for (const k of others) {
      const more = this.external?.cells.get(k);
      if (more?.length) {
        this.viewSeeded.add(c);
        this.seedRefs(c, more);
      }
      // the program's own stores under that key, both ways (the views of a byte are symmetric)
      const d = this.cellIndex.get(k);
      if (d === undefined || d === c) continue;
      this.viewSeeded.add(c);
      this.addEdge(d, c, 0);
      if (made) {
        this.viewSeeded.add(d);
        this.addEdge(c, d, 0);
      }
    }
  }
  private readonly views: ((cell: string) => readonly string[] | undefined) | undefined;
  /** Set once the fallbacks are in: cells made from then on are seeded with their views when made. */
  private seedingViews = false;
  /** Cells seeded by {@link seedViews}: functions in them do not make a field written (functionsInField). */
  private readonly viewSeeded = new Set<number>();

  /**
   * Per-TU summaries: where debug info names the memory past a record's end with a variable of
   * another record's pointer type (`struct tg3 *tp = netdev_priv(dev)`, {@link offsetBindings}), that
   * memory is a P. Two different Ps at one offset of one R in a TU: neither is used.
   */
  private collectPrivateAreas(fns: readonly Located<Function>[]): void {
    const found = new Map<string, Map<number, Metadata | null>>();
    for (const { value: f } of fns) {
      let bound: Map<Value, BoundVariable[]> | undefined;
      const sig = signatureTypes(f);
      for (const { base, offset, type } of offsetBindings(f)) {
        const p = stripQualifiers(pointeeOf(type) ?? null);
        const baseType = base.kind === 'argument' ? sig?.[base.index + 1] : (bound ??= boundVariables(f)).get(base)?.[0]?.type;
        const r = stripQualifiers(pointeeOf(baseType ?? null) ?? null);
        if (!p || !r || !isRecord(p) || !isRecord(r) || typeName(p) === typeName(r)) continue;
        const rsize = sizeOf(r);
        if (!rsize || offset < rsize || !sizeOf(p)) continue;
        const key = `T:${typeName(r)}`;
        let at = found.get(key);
        if (!at) found.set(key, (at = new Map()));
        const prior = at.get(offset);
        if (prior === undefined) at.set(offset, p);
        else if (prior && typeName(prior) !== typeName(p)) at.set(offset, null);
      }
    }
    for (const [owner, at] of found)
      for (const [offset, p] of [...at].sort((a, b) => a[0] - b[0])) {
        if (!p) continue;
        const list = this.privateAreas.get(owner) ?? [];
        // a variable naming a member of the area (`&tunnel->parms`) is not an area of its own
        if (list.some((a) => offset < a.offset + a.size)) continue;
        list.push({ offset, type: p, size: sizeOf(p)! });
        this.privateAreas.set(owner, list);
        const pb = `T:${typeName(p)}`;
        this.privateOwners.set(pb, [...(this.privateOwners.get(pb) ?? []), owner]);
      }
  }

  /** The private areas this analysis found: record, offset, the record there ({@link collectPrivateAreas}). */
  privateAreaFacts(): [string, number, string][] {
    const out: [string, number, string][] = [];
    for (const [owner, list] of this.privateAreas) for (const a of list) out.push([owner.slice(2), a.offset, typeName(a.type)]);
    // by record and offset written as one string: a stable order for the summary
    const key = (x: [string, number, string]): string => `${x[0]}${x[1]}`;
    return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  /** What code outside the program may have stored in a field: any object of the field's pointee type. */
  private fieldFallback(obj: number, off: number): number {
    const o = this.objects[obj]!;
    let t: Metadata | null = null;
    if (o.kind === 'typeany' || o.kind === 'param') t = o.type;
    else if (o.kind === 'global')
      t = o.global && !o.typeName ? globalDebugType(o.global) : (this.compositeByName().get(o.typeName ?? '') ?? null);
    else if (o.kind === 'site') {
      const ty = o.site.type;
      // an array of `T *` holds T pointers at every offset; a buffer's header is a record at its start
      const el = ty.kind === 'array' && ty.element?.endsWith(' *') ? this.compositeByName().get(ty.element.slice(0, -2)) : undefined;
      if (el) return this.typeAny(el) ?? this.unknownObject;
      t = this.compositeByName().get(ty.header ?? ty.name) ?? null;
      if (ty.header && t && off !== UNKNOWN && off >= (sizeOf(t) ?? 0)) return this.unknownObject;
    }
    if (off === UNKNOWN || !t) return this.unknownObject;
    const field = memberTypeAt(t, off);
    return this.typeAny(pointeeOf(field)) ?? this.unknownObject;
  }

  private compositesByName: Map<string, Metadata> | undefined;
  /** Struct / union debug types by the name a developer reads (first seen wins). */
  private compositeByName(): Map<string, Metadata> {
    if (this.compositesByName) return this.compositesByName;
    const m = new Map<string, Metadata>();
    for (const pm of this.program.modules) {
      for (const md of pm.module.metadata) {
        if (md?.kind === 'DICompositeType' && isRecord(md) && md.elements) {
          const n = typeName(md);
          if (!m.has(n)) m.set(n, md);
        }
      }
    }
    this.compositesByName = m;
    return m;
  }

  private declareFunction(fn: Located<Function>): void {
    const f = fn.value;
    const formals = f.arguments.map((a) => this.node(a, fn.module));
    this.formals.set(f, formals);
    if (isPointerish({ type: f.functionType.returnType } as Value)) this.returns.set(f, this.newNode());
    // callable from outside the program: parameters may point to any object of their debug type —
    // unless external facts know every caller (closed world): then only what those callers pass
    const external = f.linkage !== 'internal' && f.linkage !== 'private';
    const key = Program.keyOf(fn.module, f);
    const passed = this.external?.arguments?.get(key);
    if (passed)
      for (const [i, refs] of passed) {
        if (i >= formals.length || !isPointerish(f.arguments[i]!)) continue;
        this.seedRefs(formals[i]!, refs);
        if (refs.some((r) => this.isLostRef(r))) this.formalsFromOutside.set(formals[i]!, 'context');
      }
    if ((external || this.isAddressTaken(f)) && !this.external?.closed?.has(key)) {
      const sig = signatureTypes(f);
      f.arguments.forEach((a, i) => {
        if (!isPointerish(a)) return;
        this.formalsFromOutside.set(formals[i]!, 'open');
        const t = sig?.[i + 1];
        const o = this.typeAny(pointeeOf(t ?? null));
        if (this.markParameters && external && o !== undefined) {
          const cellBase = this.objects[o]!.cellBase;
          const type = (this.objects[o] as { type: Metadata | null }).type;
          this.addPts(
            formals[i]!,
            this.enc(
              this.object(`param:${key}:${i}`, () => ({ kind: 'param', fn: key, index: i, type, cellBase })),
              0,
            ),
          );
        }
        this.addPts(formals[i]!, this.enc(o ?? this.unknownObject, o === undefined ? UNKNOWN : 0));
      });
    }
    if (this.isAddressTaken(f)) this.addressTaken.push(fn);
  }

  /** A portable reference to what its code lost: `unknown`, or a site this analysis never saw. */
  private isLostRef(r: string): boolean {
    if (r.startsWith('param:')) return false;
    const e = this.elementOfRef(r);
    return e === undefined || this.objOf(e) === this.unknownObject;
  }

  private isAddressTaken(f: Function): boolean {
    return this.taken.has(f.name);
  }
  private readonly taken = new Set<string>();

  /** Marks functions whose address is used other than as a direct callee (computed before constraints). */
  private markAddressTaken(): void {
    const visitConst = (v: Value, depth = 0): void => {
      if (depth > 32) return;
      if (v.kind === 'function') {
        this.taken.add(v.name);
        return;
      }
      if (v.kind === 'expr' || v.kind === 'struct' || v.kind === 'array' || v.kind === 'vector') {
        for (const o of v.kind === 'expr' ? v.operands : v.elements) visitConst(o, depth + 1);
      }
    };
    for (const pm of this.program.modules) {
      // the linker drops `.discard.*` sections: `__ADDRESSABLE(f)`, which EXPORT_SYMBOL puts in
      // `.discard.addressable` to keep `f` referenced, takes no address at run time
      for (const g of pm.module.globals) if (g.initializer && !g.section?.startsWith('.discard')) visitConst(g.initializer);
      for (const f of pm.module.functions) {
        for (const b of f.blocks) {
          for (const i of b.instructions) {
            const ops = isCallBase(i) ? i.operands.slice(0, -1) : i.operands;
            for (const o of ops) visitConst(o);
          }
        }
      }
    }
  }

  private constrainInitializer(pm: ProgramModule, g: GlobalVariable): void {
    if (!g.initializer) return;
    const obj = this.globalObject(pm, g);
    for (const { offset, value } of constantPointers(g.initializer)) {
      const src = this.node(value, pm);
      const cell = this.cell(obj, offset);
      this.cellWritten.add(cell);
      this.addEdge(src, cell, 0);
    }
  }

  /** The debug types of a function's values ({@link debugTypeOfNode}, {@link typedNodes}), before any constraint reaches them. */
  private noteDebugTypes(fn: Located<Function>): void {
    for (const [v, vars] of boundVariables(fn.value)) {
      if (v.kind !== 'instruction' && v.kind !== 'argument') continue;
      const n = this.node(v, fn.module);
      this.debugTypeOfNode.set(n, vars[0]!.type);
      // every variable a pointer to one record; not two records (`sk` and `inet_sk(sk)`), not a `void *` beside it
      const records = vars.map((x) => stripQualifiers(pointeeOf(x.type) ?? null));
      const first = records[0];
      if (first && isRecord(first) && records.every((t) => t && isRecord(t) && typeKey(t) === typeKey(first)))
        this.typedNodes.set(n, first);
    }
  }

  /**
   * Notes a store address at a constant offset from a value bound to a `T *` variable
   * ({@link typedStoreCell}), through constant offsets and casts (an integer bound to the
   * variable, `(struct T *)addr`, included); it stops at anything else, or after 16 steps.
   */
  private noteTypedStore(address: Value, p: number, pm: ProgramModule): void {
    let cur = address;
    let off = 0;
    for (let k = 0; k < 16; k++) {
      const t = this.typedNodes.get(this.node(cur, pm));
      if (t) {
        const ta = off >= 0 && off < MAX_OFFSET ? this.typeAny(t) : undefined;
        if (ta !== undefined) this.typedStoreCell.set(p, this.enc(ta, off));
        return;
      }
      if (cur.kind !== 'instruction') return;
      if (cur.opcode === 'getelementptr') {
        const d = gepOffset(cur.operands, cur.sourceElementType);
        if (d === UNKNOWN) return;
        off += d;
      } else if (cur.opcode !== 'bitcast' && cur.opcode !== 'addrspacecast' && cur.opcode !== 'inttoptr') return;
      cur = cur.operands[0]!;
    }
  }

  private constrainFunction(fn: Located<Function>): void {
    const f = fn.value;
    for (const b of f.blocks) {
      for (const i of b.instructions) this.constrainInstruction(i, fn);
    }
  }

  private constrainInstruction(i: Instruction, fn: Located<Function>): void {
    const pm = fn.module;
    const N = (v: Value): number => this.node(v, pm);
    switch (i.opcode) {
      case 'alloca': {
        // one object per stack slot: arrays of pointers to different sites (`notes[i]`, `victims[i]`)
        // in one frame must not share cells
        const slot = this.allocaIndex.get(i) ?? this.allocaIndex.set(i, this.allocaIndex.size).get(i)!;
        const obj = this.object(`stack:${Program.keyOf(pm, fn.value)}:${slot}`, () => ({
          kind: 'stack',
          function: fn.value.name,
          cellBase: `S:${Program.keyOf(pm, fn.value)}:${this.objects.length}`,
        }));
        this.addPts(N(i), this.enc(obj, 0));
        return;
      }
      case 'getelementptr':
        this.addEdge(N(i.operands[0]!), N(i), gepOffset(i.operands, i.sourceElementType));
        return;
      case 'bitcast':
      case 'addrspacecast':
      case 'ptrtoint':
      case 'ptrtoaddr':
      case 'inttoptr':
      case 'freeze': {
        // `page_address(page)`: the memory of what `page` points to, not the integer's sources
        const page = i.opcode === 'inttoptr' ? pageOfAddress(i.operands[0]!) : undefined;
        if (page) this.pageAddresses.push([N(page), N(i)]);
        else if (isPointerish(i.operands[0]!) || i.opcode === 'inttoptr') this.addEdge(N(i.operands[0]!), N(i), 0);
        return;
      }
      case 'phi':
        if (!isPointerish(i)) return;
        for (const o of i.operands) this.addEdge(N(o), N(i), 0);
        return;
      case 'select':
        if (!isPointerish(i)) return;
        this.addEdge(N(i.operands[1]!), N(i), 0);
        this.addEdge(N(i.operands[2]!), N(i), 0);
        return;
      case 'add':
      case 'sub':
      case 'and':
      case 'or':
      case 'xor':
      case 'mul':
      case 'shl':
      case 'lshr':
      case 'ashr': {
        if (!isPointerish(i) || fitsInHalfWord(i)) return;
        const [a, b] = i.operands as [Value, Value];
        if ((i.opcode === 'add' || i.opcode === 'sub') && b.kind === 'int') {
          const d = Number(b.value) * (i.opcode === 'sub' ? -1 : 1);
          this.addEdge(N(a), N(i), Number.isSafeInteger(d) ? d : UNKNOWN);
        } else {
          if (a.kind !== 'int') this.addEdge(N(a), N(i), UNKNOWN);
          if (b.kind !== 'int') this.addEdge(N(b), N(i), UNKNOWN);
        }
        return;
      }
      case 'load': {
        if (!isPointerish(i)) return;
        const p = N(i.pointer);
        const d = N(i);
        this.loadsFrom[p]!.push(d);
        for (const e of this.pts[p]!) this.connectLoad(e, d);
        return;
      }
      case 'store': {
        if (!isPointerish(i.value)) return;
        const p = N(i.pointer);
        let s = N(i.value);
        this.noteTypedStore(i.pointer, p, pm);
        if (isSelfUpdate(i.value, i.pointer)) {
          // `skb->data += len`: the location gets back what it held, moved. Its objects stay (at
          // any offset); the "unknown" of a load it alone feeds adds nothing but its own content, so
          // a TU that only moves a shared field's pointer no longer exports "unknown" into its cell
          const moved = this.newNode();
          this.dropsUnknown.add(moved);
          this.addEdge(s, moved, UNKNOWN);
          s = moved;
        }
        this.storesTo[p]!.push(s);
        for (const e of this.pts[p]!) this.connectStore(e, s, p);
        return;
      }
      case 'atomicrmw':
      case 'cmpxchg': {
        const v = i.operands[i.opcode === 'cmpxchg' ? 2 : 1]!;
        if (!isPointerish(v)) return;
        const p = N(i.pointer);
        const s = N(v);
        this.noteTypedStore(i.pointer, p, pm);
        this.storesTo[p]!.push(s);
        for (const e of this.pts[p]!) this.connectStore(e, s, p);
        if (isPointerish(i) || i.opcode === 'cmpxchg') {
          const d = N(i);
          this.loadsFrom[p]!.push(d);
          for (const e of this.pts[p]!) this.connectLoad(e, d);
        }
        return;
      }
      case 'extractvalue':
        if (isPointerish(i)) this.addEdge(N(i.operands[0]!), N(i), UNKNOWN);
        return;
      case 'ret': {
        const r = i.returnValue;
        const rn = this.returns.get(fn.value);
        if (r && rn !== undefined) this.addEdge(N(r), rn, 0);
        return;
      }
      case 'call':
      case 'invoke':
      case 'callbr':
        this.constrainCall(i, fn);
        return;
      default:
        return;
    }
  }

  private constrainCall(call: CallBase, fn: Located<Function>): void {
    const pm = fn.module;
    const site = this.siteOfCall.get(call);
    if (site) {
      // the result is the new object; a wrapper defined in the program still receives its arguments
      if (isPointerish(call)) this.addPts(this.node(call, pm), this.enc(this.siteObject(site), 0));
      const callee = stripCasts(call.callee);
      if (callee.kind === 'function') this.bindCall(call, pm, { module: pm, value: callee }, false);
      return;
    }
    const callee = stripCasts(call.callee);
    if (callee.kind === 'asm') {
      this.constrainAsm(call, pm);
      return;
    }
    if (callee.kind === 'function') {
      if (/^(llvm\.(memcpy|memmove)(\.inline)?\.|(__)?memcpy$|(__)?memmove$)/.test(callee.name) && call.args.length >= 2) {
        this.copyMemory(call.args[0]!, call.args[1]!, pm);
      }
      this.bindCall(call, pm, { module: pm, value: callee });
      return;
    }
    // indirect: bind to the functions the callee may be, as they are found
    const cn = this.node(call.callee, pm);
    this.callsThrough[cn]!.push({ call, module: pm });
    for (const e of this.pts[cn]!) this.connectIndirect(e, call, pm);
  }

  /**
   * `memcpy(dst, src, n)` copies whatever pointers src's memory holds into dst's:
   * every cell of src's objects flows into dst's objects at an unknown offset.
   */
  private copyMemory(dst: Value, src: Value, pm: ProgramModule): void {
    const s = this.newNode();
    const d = this.newNode();
    const t = this.newNode();
    this.addEdge(this.node(src, pm), s, UNKNOWN);
    this.addEdge(this.node(dst, pm), d, UNKNOWN);
    this.loadsFrom[s]!.push(t);
    this.storesTo[d]!.push(t);
  }

  /** The memory of the pages site `site` allocates (its objects are their `struct page`s): a typeless block of its own cells. */
  private pageMemoryObject(site: AllocationSite): number {
    return this.object(`pages:${site.id}`, () => ({
      kind: 'site',
      site: { ...site, type: { name: `pages of ${site.id}`, kind: 'buffer', evidence: [] } },
      cellBase: `A:pages:${site.id}`,
      pages: true,
    }));
  }

  /**
   * `page_address(page)` ({@link pageOfAddress}): the memory of the pages `page` may be, per its
   * points-to. A page pointer the analysis lost (or pointing at anything but a page site's
   * descriptors) addresses any page: unknown.
   */
  private transferPageAddresses(): void {
    for (const [page, address] of this.pageAddresses)
      for (const e of this.pts[page]!) {
        const o = this.objects[this.objOf(e)]!;
        const descriptor = o.kind === 'site' && !o.pages && o.site.kind === 'buddy' && isPageDescriptor(o.site);
        this.addPts(address, descriptor ? this.enc(this.pageMemoryObject(o.site), UNKNOWN) : this.unknownElement);
      }
  }
  /** Nodes of `page_address(page)` computations: the page pointer's, the address's. */
  private readonly pageAddresses: [number, number][] = [];

  /** Propagates to a fixpoint, with the page addresses' transfer ({@link transferPageAddresses}) between rounds. */
  private propagateWithPages(): void {
    this.propagate();
    if (!this.pageAddresses.length) return;
    for (;;) {
      this.transferPageAddresses();
      if (!this.work.length) return;
      this.propagate();
    }
  }

  private siteObject(site: AllocationSite): number {
    return this.object(`site:${site.id}`, () => ({
      kind: 'site',
      site,
      cellBase: site.type.kind === 'buffer' || site.type.kind === 'unknown' ? `A:${site.id}` : `T:${site.type.name}`,
    }));
  }

  private bindCall(call: CallBase, pm: ProgramModule, target: Located<Function>, withResult = true): void {
    const def = this.program.definitionOf(target.module, target.value);
    const key = `${this.node(call, pm)}>${def ? Program.keyOf(def.module, def.value) : target.value.name}`;
    if (this.boundCalls.has(key)) return;
    this.boundCalls.add(key);
    if (!def) {
      if (withResult) this.externalCall(call, pm, target.value);
      this.bindExternalParameters(call, pm, target.value);
      return;
    }
    const f = def.value;
    if (f.name.startsWith('llvm.')) return;
    const formals = this.formals.get(f) ?? [];
    call.args.forEach((a, k) => {
      if (k >= formals.length || !isPointerish(a)) return;
      this.addEdge(this.node(a, pm), formals[k]!, 0);
      let bound = this.actuals.get(formals[k]!);
      if (!bound) this.actuals.set(formals[k]!, (bound = []));
      bound.push({ value: a, module: pm });
    });
    const rn = this.returns.get(f);
    if (withResult && rn !== undefined && isPointerish(call)) this.addEdge(rn, this.node(call, pm), 0);
  }

  /**
   * A call into code only external facts describe: each argument goes where the callee's summary
   * says its parameter goes (`sock_init_data(sock, sk)` stores `sk` into `sock->sk`), with the
   * offset the summary recorded.
   */
  private bindExternalParameters(call: CallBase, pm: ProgramModule, callee: Function): void {
    if (callee.linkage === 'internal' || callee.linkage === 'private') return;
    const flows = this.external?.parameterCells.get(callee.name);
    if (!flows) return;
    for (const { index, cell, offset } of flows) {
      const a = call.args[index];
      if (!a || !isPointerish(a)) continue;
      const c = this.cellByKey(cell);
      if (c === undefined) continue;
      this.cellWritten.add(c);
      this.addEdge(this.node(a, pm), c, offset === '*' ? UNKNOWN : offset);
    }
  }

  /** The cell a portable cell key names (`T:struct sock@24`, `G:name@0`, `@*`), or undefined. */
  private cellByKey(key: string): number | undefined {
    const at = key.lastIndexOf('@');
    const offText = key.slice(at + 1);
    const obj = this.objectOfCellBase(key.slice(0, at));
    return obj === undefined ? undefined : this.cell(obj, offText === '*' ? UNKNOWN : Number(offText));
  }

  private externalCall(call: CallBase, pm: ProgramModule, callee: Function): void {
    if (!isPointerish(call) || callee.name.startsWith('llvm.')) {
      // intrinsics that return their pointer argument
      if (/^llvm\.(ptrmask|launder\.invariant\.group|strip\.invariant\.group|threadlocal\.address)/.test(callee.name) && call.args[0]) {
        this.addEdge(this.node(call.args[0], pm), this.node(call, pm), UNKNOWN);
      }
      return;
    }
    // the result of code outside the program: what its summary says it returns, else any object of its debug type
    const ext = callee.linkage === 'internal' || callee.linkage === 'private' ? undefined : this.external?.returns.get(callee.name);
    if (ext) {
      const n = this.node(call, pm);
      this.seedRefs(n, ext);
      // the result may be what the caller passed (`skb_get(skb)` returns `skb`)
      for (const r of ext) {
        const m = /^param:(.*):(\d+)@(\d+|\*)$/.exec(r);
        if (!m || m[1] !== callee.name) continue;
        const a = call.args[Number(m[2])];
        if (a && isPointerish(a)) this.addEdge(this.node(a, pm), n, m[3] === '*' ? UNKNOWN : Number(m[3]));
      }
      return;
    }
    const sig = signatureTypes(callee);
    const o = this.typeAny(pointeeOf(sig?.[0] ?? null)) ?? this.typeAny(pointeeOf(this.debugTypeOfNode.get(this.node(call, pm)) ?? null));
    this.addPts(this.node(call, pm), this.enc(o ?? this.unknownObject, o === undefined ? UNKNOWN : 0));
  }

  private constrainAsm(call: CallBase, pm: ProgramModule): void {
    const asm = stripCasts(call.callee);
    if (asm.kind !== 'asm') return;
    const ops = asmOperands(asm.constraints);
    // an asm statement that may write memory may store a pointer it gets in a register
    // (`this_cpu_write`, a call hidden in `alternative_call`): what that pointer holds escapes,
    // unless all it does is call routines that only move bytes (`copy_user_generic`)
    if (this.trackEscapes && ops.writesMemory && !asmOnlyMovesBytes(asm, call.args))
      call.args.forEach((a, k) => {
        if (!ops.args[k]?.indirect && isPointerish(a)) this.sinkNodes.add(this.node(a, pm));
      });
    // a memory operand it writes holds its register inputs afterwards (`xchg(&rt->from, NULL)`,
    // `cmpxchg(p, old, new)` store the new value there, as a store would)
    const written = new Set<Value>();
    const inputs: Value[] = [];
    call.args.forEach((a, k) => {
      if (ops.args[k]?.indirect && ops.args[k]!.output) written.add(a);
      else if (!ops.args[k]?.indirect && isPointerish(a)) inputs.push(a);
    });
    for (const w of written) {
      const p = this.node(w, pm);
      this.noteTypedStore(w, p, pm);
      for (const a of inputs) {
        const s = this.node(a, pm);
        this.storesTo[p]!.push(s);
        for (const e of this.pts[p]!) this.connectStore(e, s, p);
      }
    }
    if (!isPointerish(call) && call.type.kind !== 'struct') return;
    const d = this.node(call, pm);
    const load = (a: Value): void => {
      const p = this.node(a, pm);
      this.loadsFrom[p]!.push(d);
      for (const e of this.pts[p]!) this.connectLoad(e, d);
    };
    // this_cpu_read of a pointer (`movq %gs:$1, $0` over a per-cpu slot): the result is the
    // slot's content, not an address inside the per-cpu area
    const ptrArgs = call.args.filter((a) => isPointerish(a));
    if (/^\s*mov[a-z]*\s+%?%gs:\$\{?\d/i.test(asm.asm) && ptrArgs.length === 1) {
      load(ptrArgs[0]!);
      return;
    }
    // A value an asm statement computes from its register inputs (this_cpu_ptr, PTR_ALIGN…) may
    // be any of them, moved. A memory operand it writes (`xchg`, `cmpxchg`: "=*m") may give its
    // old content. A memory operand it only reads gives its content only when no register input
    // is a pointer: `this_cpu_ptr(&v)` adds `%gs:this_cpu_off`, an integer, to &v — taking that
    // operand's address instead made every per-cpu pointer also point into `this_cpu_off`, and
    // loads through it read that variable's cell, which no code writes: "unknown".
    const readOnly: Value[] = [];
    let any = false;
    call.args.forEach((a, k) => {
      if (!isPointerish(a)) return;
      if (!ops.args[k]?.indirect) {
        this.addEdge(this.node(a, pm), d, UNKNOWN);
        any = true;
      } else if (written.has(a)) {
        load(a);
        any = true;
      } else readOnly.push(a);
    });
    if (!any) for (const a of readOnly) load(a);
    if (!any && !readOnly.length) this.addPts(d, this.enc(this.unknownObject, UNKNOWN));
  }

  private connectIndirect(e: number, call: CallBase, pm: ProgramModule): void {
    const o = this.objects[this.objOf(e)]!;
    if (o.kind === 'function') {
      // a function only external facts know: its body is not here; what it returns is its summary's
      if (o.fn) this.bindCall(call, pm, o.fn);
      else if (isPointerish(call)) this.seedRefs(this.node(call, pm), this.external?.returns.get(o.key) ?? ['unknown@*']);
    } else if (o.kind === 'unknown' || o.kind === 'typeany') {
      // a function pointer from outside: every address-taken function of the same arity — in the
      // closed world (external facts know every caller), of the call's IR signature, the whole-program
      // matching's own assumption (no call through a pointer cast to another function type); and of
      // the call's C prototype where debug info gives it, as kCFI compares them (a `skb->destructor`
      // call passes its sk_buff to no `void (struct net_device *)` setup callback of the TU)
      const sig = this.external?.closed ? typeToString(call.functionType) : undefined;
      const proto = this.callPrototype(call);
      for (const t of this.addressTaken) {
        if (t.value.arguments.length !== call.args.length) continue;
        if (sig !== undefined && typeToString(t.value.functionType) !== sig) continue;
        if (proto !== undefined && !this.mayHavePrototype(t.value, proto)) continue;
        this.bindCall(call, pm, t);
      }
    }
  }

  /**
   * The C prototype of an indirect call ({@link prototypeOfPointer}): of the callee's debug type
   * ({@link loadedDebugType}: its variable's, else the function-pointer member it is loaded from,
   * `dst->ops->link_failure`). Undefined when debug info says nothing: the call then binds by
   * arity (and IR signature) alone.
   */
  private callPrototype(call: CallBase): string | undefined {
    let p = this.prototypes.get(call);
    if (p === undefined) {
      p = prototypeOfPointer(this.loadedDebugType(call.callee)) ?? null;
      this.prototypes.set(call, p);
    }
    return p ?? undefined;
  }

  /**
   * A value's debug type: its variable's, else, for a value loaded from memory, the type of the
   * record member it is loaded from — the address's record type (its variable's, or again the
   * member it was itself loaded from) at the constant offset of the GEPs between.
   */
  private loadedDebugType(v: Value, depth = 0): Metadata | null | undefined {
    const own = this.debugTypeOf(v) ?? this.debugTypeOf(stripCasts(v));
    if (own || depth > 4) return own;
    const c = stripCasts(v);
    if (c.kind !== 'instruction' || c.opcode !== 'load') return undefined;
    let cur: Value = c.operands[0]!;
    let offset = 0;
    for (let i = 0; i < 16 && offset !== UNKNOWN; i++) {
      const record = pointeeOf(this.loadedDebugType(cur, depth + 1) ?? null);
      if (record && isRecord(record)) return membersAt(record, offset).at(-1)?.type;
      const b = stripCasts(cur);
      if (b.kind === 'instruction' && b.opcode === 'getelementptr') {
        const d = gepOffset(b.operands, b.sourceElementType);
        offset = d === UNKNOWN ? UNKNOWN : offset + d;
        cur = b.operands[0]!;
      } else return undefined;
    }
    return undefined;
  }
  private readonly prototypes = new Map<CallBase, string | null>();

  /** False only when debug info gives `f` a C prototype other than `proto`. */
  private mayHavePrototype(f: Function, proto: string): boolean {
    let own = this.functionPrototypes.get(f);
    if (own === undefined) this.functionPrototypes.set(f, (own = prototypeOf(f) ?? null));
    return own === null || own === proto;
  }
  private readonly functionPrototypes = new Map<Function, string | null>();

  private connectLoad(e: number, d: number): void {
    const obj = this.objOf(e);
    const off = this.offOf(e);
    const o = this.objects[obj]!;
    if (o.kind === 'unknown') {
      // loaded through a pointer the analysis lost: any object of the loaded value's debug type
      const t = this.debugTypeOfNode.get(d);
      const ta = t === undefined ? undefined : this.typeAny(pointeeOf(t));
      this.addPts(d, ta === undefined ? this.unknownElement : this.enc(ta, 0));
      return;
    }
    if (off === UNKNOWN) {
      const base = o.cellBase;
      // a read of every cell of the base reads those only external code writes too
      this.materializeExternalCells(obj, base);
      const readers = this.starReaders.get(base) ?? [];
      let readerSet = this.starReaderSet.get(base);
      if (!readerSet) this.starReaderSet.set(base, (readerSet = new Set()));
      if (!readerSet.has(d)) {
        readerSet.add(d);
        readers.push(d);
        this.starReaders.set(base, readers);
        for (const c of this.cellsOfBase.get(base) ?? []) this.addEdge(c, d, 0);
        for (const area of this.privateAreas.get(base) ?? []) {
          const p = this.typeAny(area.type);
          for (const c of p === undefined ? [] : (this.cellsOfBase.get(this.objects[p]!.cellBase) ?? [])) this.addEdge(c, d, 0);
        }
      }
      const star = this.cell(obj, UNKNOWN);
      this.loadedCells.add(star);
      this.addEdge(star, d, 0);
      return;
    }
    const c = this.cell(obj, off);
    this.loadedCells.add(c);
    this.addEdge(c, d, 0);
  }

  private connectStore(e: number, s: number, p: number): void {
    const obj = this.objOf(e);
    const o = this.objects[obj]!;
    if (o.kind === 'unknown') {
      const typed = this.typedStoreCell.get(p);
      if (typed !== undefined) {
        // a field of some T: T's cell there
        const c = this.cell(this.objOf(typed), this.offOf(typed));
        this.cellWritten.add(c);
        this.addEdge(s, c, 0);
        return;
      }
      // stored where the analysis follows nothing: what the stored value holds escapes
      if (this.trackEscapes) this.sinkNodes.add(s);
      return;
    }
    const c = this.cell(obj, this.offOf(e));
    this.cellWritten.add(c);
    this.addEdge(s, c, 0);
  }

  /** With KCOMPART_PTS_DEBUG set: how big the solution has grown (to find what blows up). */
  private logProgress(steps: number): void {
    let total = 0,
      max = 0,
      maxNode = 0;
    for (let k = 0; k < this.pts.length; k++) {
      const z = this.pts[k]!.size;
      total += z;
      if (z > max) {
        max = z;
        maxNode = k;
      }
    }
    const sample = [...this.pts[maxNode]!].slice(0, 8).map((e) => {
      const o = this.objects[this.objOf(e)]!;
      const label = o.kind === 'typeany' ? o.typeName : o.kind === 'global' || o.kind === 'function' ? o.key : '';
      return `${o.kind}:${label}@${this.offOf(e)}`;
    });
    console.error(
      `pts: steps ${steps}, work ${this.work.length}, nodes ${this.pts.length}, total ${total}, max ${max} (node ${maxNode}), cells ${this.cellIndex.size}: ${sample.join(' ')}`,
    );
  }

  private propagate(): void {
    const work = this.work;
    let steps = 0;
    const debug = !!process.env.KCOMPART_PTS_DEBUG;
    while (work.length) {
      if (debug && ++steps % 20000 === 0) this.logProgress(steps);
      const n = work.pop()!;
      this.inWork[n >> 16]![n & 0xffff] = 0;
      const elems = this.delta[n];
      if (!elems) continue;
      this.delta[n] = undefined;
      const edges = this.edges[n]!;
      /** What a target holding "unknown" still takes: the kept elements (escapes accounted), else nothing. */
      let kept: number[] | undefined;
      for (let k = 0; k < edges.length; k += 2) {
        const to = edges[k]!;
        const delta = edges[k + 1]!;
        // most deliveries bring what the target holds already (99 % on large TUs): those are
        // no-ops of addPts, skipped here before its work; a target holding "unknown" takes nothing
        // but kept elements
        const ts = this.pts[to]!;
        const into = this.holdsUnknown[to] ? (kept ??= this.trackEscapes ? elems.filter((e) => this.keptBeside(e)) : []) : elems;
        if (!into.length) continue;
        if (delta === 0) {
          for (const e of into) if (!ts.has(e)) this.addPts(to, e);
        } else {
          for (const e of into) {
            const x = this.elements.shift(e, delta);
            if (!ts.has(x)) this.addPts(to, x);
          }
        }
      }
      // a pointer that may be anything: what it also names is not loaded or stored through (the
      // load gives the lost value's type, the store reaches nothing followed), so a buffer beside
      // "unknown" does not become a hub; what such a load reads out of it escapes
      let through = elems;
      if (this.keepsSites && this.pts[n]!.has(this.unknownElement)) {
        through = elems.filter((e) => this.objOf(e) === this.unknownObject);
        if (this.loadsFrom[n]!.length) for (const e of elems) if (this.objOf(e) !== this.unknownObject) this.readLost.add(this.objOf(e));
      }
      for (const d of this.loadsFrom[n]!) for (const e of through) this.connectLoad(e, d);
      for (const st of this.storesTo[n]!) for (const e of through) this.connectStore(e, st, n);
      for (const c of this.callsThrough[n]!) for (const e of through) this.connectIndirect(e, c.call, c.module);
    }
  }

  /**
   * Adds the edges collected so far. An offset-moving edge inside a cycle (a
   * loop walking an array: `p = phi(base, p + 8)`) would make offsets grow without
   * end; inside a strongly connected component it moves to an unknown offset.
   */
  private flushPendingEdges(): void {
    const pend = this.pending!;
    this.pending = undefined;
    const succ: number[][] = Array.from({ length: this.pts.length }, () => []);
    for (let k = 0; k < pend.length; k += 3) succ[pend[k]!]!.push(pend[k + 1]!);
    const scc = stronglyConnected(succ);
    for (let k = 0; k < pend.length; k += 3) {
      const from = pend[k]!,
        to = pend[k + 1]!;
      let delta = pend[k + 2]!;
      if (delta !== 0 && delta !== UNKNOWN && scc[from] === scc[to]) delta = UNKNOWN;
      this.addEdge(from, to, delta);
    }
  }

  // ------------------------------------------------------------ results

  /** What a value may point to (object, offset) pairs; empty when nothing reaches it. */
  pointsTo(v: Value, module: ProgramModule): { object: AbstractObject; offset: number }[] {
    const n = this.nodeOf.get(v) ?? (v.kind === 'global' || v.kind === 'expr' || v.kind === 'function' ? this.node(v, module) : undefined);
    if (n === undefined) return [];
    if (this.work.length) this.propagate();
    return [...this.pts[n]!].map((e) => ({ object: this.objects[this.objOf(e)]!, offset: this.offOf(e) }));
  }

  /**
   * The arguments the program's calls pass as a parameter, or undefined when code outside the
   * program may call it with a pointer the analysis cannot follow (an exported or address-taken
   * function in the open world, or a summary that passes `unknown`): every pointer the parameter
   * receives is then one of these values or a known object.
   */
  argumentsPassedAs(a: Value): readonly { value: Value; module: ProgramModule }[] | undefined {
    if (this.parameterSource(a) !== 'program') return undefined;
    if (this.work.length) this.propagate();
    return this.actuals.get(this.nodeOf.get(a)!) ?? [];
  }

  /**
   * Who may pass a parameter a pointer the analysis cannot follow: `open` when callers outside the
   * program may exist (an exported or address-taken function in the open world), `context` when a
   * caller the external facts describe passes one (its own summary lost it), else `program` (only
   * the program's calls, {@link argumentsPassedAs}).
   */
  parameterSource(a: Value): 'open' | 'context' | 'program' | undefined {
    const n = a.kind === 'argument' ? this.nodeOf.get(a) : undefined;
    return n === undefined ? undefined : (this.formalsFromOutside.get(n) ?? 'program');
  }

  /** True when the external facts define this (non-static) function with a pointer result: it has IR, read as a summary. */
  contextDefines(name: string): boolean {
    return this.external?.returns.has(name) ?? false;
  }

  /** The debug type bound to a value, if a debug record names it. */
  debugTypeOf(v: Value): Metadata | null | undefined {
    const n = this.nodeOf.get(v);
    return n === undefined ? undefined : this.debugTypeOfNode.get(n);
  }

  /** The "any object of type T" object of a debug record type, or undefined for a non-record. */
  typeAnyOf(t: Metadata | null): AbstractObject | undefined {
    const ta = this.typeAny(t);
    return ta === undefined ? undefined : this.objects[ta];
  }

  /**
   * "Any object of T" for a pointer bound to a `T *` variable — directly, or as a
   * constant offset from one (`&obj->field`: the field's pointee) — else undefined.
   * The innermost such record ({@link debugTypesAlongPointer} gives them all).
   */
  debugTypeOfPointer(p: Value): AbstractObject | undefined {
    return this.debugTypesAlongPointer(p)[0];
  }

  /**
   * Every "any object of T" the pointer's address computation names, innermost first: the
   * record of a `T *` variable bound to the pointer, then those bound to the bases of the GEPs
   * (and casts) it is computed from (`&ifp->refcnt` inside an inlined `refcount_inc(refcount_t *r)`
   * is both a `refcount_t` and inside a `struct inet6_ifaddr`). C keeps pointer arithmetic inside
   * one object, so the object written is or contains each of them: a caller may take the one that
   * admits the fewest objects.
   */
  debugTypesAlongPointer(p: Value): AbstractObject[] {
    return this.debugTypesAlongPointerAt(p).map((x) => x.object);
  }

  /**
   * {@link debugTypesAlongPointer}, each with the byte offset of `p` from the start of that record
   * (the constant GEPs between; UNKNOWN where an index varies): a `T *` points at a T's start.
   */
  debugTypesAlongPointerAt(p: Value): { object: AbstractObject; offset: number }[] {
    const out: { object: AbstractObject; offset: number }[] = [];
    let cur: Value = p;
    let offset = 0;
    for (let i = 0; i < 16; i++) {
      const t = this.debugTypeOf(cur);
      const o = t === undefined ? undefined : this.typeAnyOf(pointeeOf(t) ?? null);
      if (o && !out.some((x) => x.object === o)) out.push({ object: o, offset });
      const c = cur.kind === 'instruction' && (cur.opcode === 'bitcast' || cur.opcode === 'addrspacecast') ? cur.operands[0]! : cur;
      if (c.kind === 'instruction' && c.opcode === 'getelementptr') {
        // the containing object's type: writes into its field are writes into it
        const d = gepOffset(c.operands, c.sourceElementType);
        offset = offset === UNKNOWN || d === UNKNOWN ? UNKNOWN : offset + d;
        cur = c.operands[0]!;
        continue;
      }
      if (c !== cur) {
        cur = c;
        continue;
      }
      break;
    }
    return out;
  }

  /**
   * The functions any object of struct type `typeName` may hold at byte `offset`: the content of its
   * type-field cell and of its cell of unknown offset. `written` is false when no analyzed code
   * stores into either (the field's setters, if any, are all outside the program).
   */
  functionsInField(typeName: string, offset: number): { functions: Located<Function>[]; written: boolean } {
    if (this.work.length) this.propagate();
    const functions = new Map<string, Located<Function>>();
    let written = false;
    for (const key of [`T:${typeName}@${offset}`, `T:${typeName}@*`]) {
      const c = this.cellIndex.get(key);
      if (c === undefined) continue;
      if (this.cellWritten.has(c)) written = true;
      for (const e of this.pts[c]!) {
        const o = this.objects[this.objOf(e)]!;
        if (o.kind === 'function') {
          if (o.fn) functions.set(o.key, o.fn);
          if (!this.viewSeeded.has(c)) written = true;
        }
      }
    }
    return { functions: [...functions.values()], written };
  }

  /** Functions whose address the program takes (initializers, stores, arguments): indirect-call candidates. */
  get addressTakenFunctions(): readonly Located<Function>[] {
    return this.addressTaken;
  }

  /** Names of every function whose address the program takes, defined or only declared. */
  get addressTakenNames(): ReadonlySet<string> {
    return this.taken;
  }

  /**
   * An (object, offset) element in portable form, the same in every analysis of the same code:
   * `site:<id>`, `pages:<id>`, `global:<key>`, `function:<key>`, `typeany:<type>`, `stack:<function>`, `unknown`,
   * then `@<offset>` (`@*` when not constant). What per-TU summaries record.
   */
  private refOf(e: number): string {
    const o = this.objects[this.objOf(e)]!;
    const off = this.offOf(e);
    const at = off === UNKNOWN ? '@*' : `@${off}`;
    switch (o.kind) {
      case 'site':
        return `${o.pages ? 'pages' : 'site'}:${o.site.id}${at}`;
      case 'global':
      case 'function':
        return `${o.kind}:${o.key}${at}`;
      case 'typeany':
        return `typeany:${o.typeName}${at}`;
      case 'param':
        return `param:${o.fn}:${o.index}${at}`;
      case 'stack':
        return `stack:${o.function}${at}`;
      case 'unknown':
        return 'unknown@*';
    }
  }

  /**
   * The type-field cells (`T:struct sock@24`) and the cells of exported globals without a record
   * type (`G:skbuff_head_cache@0`) the analyzed code writes, with what they may hold
   * ({@link refOf} form, sorted): what code of this program puts into fields that any other code
   * reading an object of that type may load.
   */
  fieldStores(): [string, string[]][] {
    if (this.work.length) this.propagate();
    const out: [string, string[]][] = [];
    for (const [key, c] of this.cellIndex) {
      // type-field cells, and cells of exported globals without a record type: what other TUs read
      if (!isShared(key) || !this.cellWritten.has(c) || !this.pts[c]!.size) continue;
      out.push([key, this.portable(this.pts[c]!)]);
    }
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /**
   * The shared cells ({@link fieldStores}' kinds: `T:struct urb@96`) a store through `pointer`
   * writes, when it writes no other: undefined when it may write through a lost pointer no debug
   * type places, into an object's own cells (a buffer, a stack slot, a static global), or nowhere
   * this analysis knows. For a value it does not track (an untyped parameter, analysis/escape.ts).
   */
  storeCells(pointer: Value): string[] | undefined {
    const p = this.nodeOf.get(pointer);
    if (p === undefined) return undefined;
    if (this.work.length) this.propagate();
    const out = new Set<string>();
    for (const e of this.pts[p]!) {
      let at = [this.objOf(e), this.offOf(e)] as const;
      if (this.objects[at[0]]!.kind === 'unknown') {
        const typed = this.typedStoreCell.get(p);
        if (typed === undefined) return undefined;
        at = [this.objOf(typed), this.offOf(typed)];
      }
      const [obj, off] = this.cellPlace(at[0], at[1]);
      const base = this.objects[obj]!.cellBase;
      if (!isShared(base)) return undefined;
      out.add(`${base}@${off === UNKNOWN ? '*' : off}`);
    }
    return out.size ? [...out].sort() : undefined;
  }

  /** The shared cells ({@link fieldStores}' kinds) the analyzed code loads from: their keys, sorted. */
  loadedFieldCells(): string[] {
    const out: string[] = [];
    for (const c of this.loadedCells) {
      const info = this.cellInfo.get(c)!;
      if (isShared(info.base)) out.push(`${info.base}@${info.off === UNKNOWN ? '*' : info.off}`);
    }
    return out.sort();
  }

  /** What the pointer a defined function returns may point to ({@link refOf} form), or undefined for no pointer result. */
  returnObjects(f: Function): string[] | undefined {
    const r = this.returns.get(f);
    if (r === undefined) return undefined;
    if (this.work.length) this.propagate();
    return this.portable(this.pts[r]!);
  }

  /**
   * What a value may point to in portable form ({@link refOf}, sorted, deduplicated): what per-TU
   * summaries record of the arguments a TU passes to functions it does not define.
   */
  refsOf(v: Value, module: ProgramModule): string[] {
    const n = this.nodeOf.get(v) ?? (v.kind === 'global' || v.kind === 'expr' || v.kind === 'function' ? this.node(v, module) : undefined);
    if (n === undefined) return [];
    if (this.work.length) this.propagate();
    return this.portable(this.pts[n]!);
  }

  /**
   * A set in portable form ({@link refOf}, sorted, deduplicated), as a summary records it: a set
   * holding "unknown" is `unknown@*` and, with escapes accounted, the typeless sites kept beside it
   * ({@link keptBeside}): the whole program follows those where the set goes (a returned buffer,
   * one stored into a shared cell). What else it held is lost to readers: it escapes
   * ({@link escapingObjects}).
   */
  private portable(set: ReadonlySet<number>): string[] {
    if (set.has(this.unknownElement)) {
      const kept = new Set<string>(['unknown@*']);
      for (const e of set) {
        if (e === this.unknownElement || !this.trackEscapes) continue;
        if (this.isKeptSite(e)) kept.add(this.refOf(e));
        else this.lostAtOutput.add(this.objOf(e));
      }
      return [...kept].sort();
    }
    return [...new Set([...set].map((e) => this.refOf(e)))].sort();
  }

  /**
   * What escapes this analysis (accounted for summaries and when external facts ask): the sites,
   * marked parameters, stack slots and globals that a value stored through a lost pointer or handed
   * to an asm statement that may write memory holds, that "unknown" absorbed, or that a set
   * recorded as `unknown@*` held (so call it after the portable outputs); what a load through a
   * lost pointer read out of a kept site; and what the own cells of those objects hold (a
   * buffer's, a stack slot's, a static global's: only their own code reads them), transitively. A
   * pointer the analysis lost may point to these; to no other object of the TU unless the whole
   * program passes it on (`EscapeClosure`, summary/escape.ts). Also the symbolic references of
   * the external facts it could not resolve and read as "unknown" (`result:g`: what another TU's
   * function returns reaches a pointer this analysis lost, so whatever it stands for escapes). In
   * {@link refOf} form without offsets, sorted.
   */
  escapingObjects(): string[] {
    if (this.work.length) this.propagate();
    const esc = new Set<number>([...this.lostAtOutput, ...this.absorbed]);
    for (const n of this.sinkNodes) for (const e of this.pts[n]!) esc.add(this.objOf(e));
    // what a lost load read out of a kept site: its own cells' content (not the site itself)
    for (const o of this.readLost)
      for (const c of this.cellsOfBase.get(this.objects[o]!.cellBase) ?? []) for (const e of this.pts[c]!) esc.add(this.objOf(e));
    const work = [...esc];
    while (work.length) {
      const o = work.pop()!;
      const base = this.objects[o]!.cellBase;
      if (!hasOwnCells(base)) continue;
      for (const c of this.cellsOfBase.get(base) ?? [])
        for (const e of this.pts[c]!) {
          const x = this.objOf(e);
          if (!esc.has(x)) {
            esc.add(x);
            work.push(x);
          }
        }
    }
    const keys = [...esc].map((o) => this.escapeKey(o)).filter((k): k is string => k !== undefined);
    return [...new Set([...keys, ...this.unresolved])].sort();
  }

  /**
   * What the own cells of each object with own cells hold (a buffer site, a stack slot, a static
   * global without a record type), in {@link escapingObjects}' form: what escapes with it when the
   * whole program finds it escapes. Objects that hold nothing trackable are left out.
   */
  ownCellContents(): [string, string[]][] {
    if (this.work.length) this.propagate();
    const out = new Map<string, Set<string>>();
    for (const [base, cells] of this.cellsOfBase) {
      if (!hasOwnCells(base)) continue;
      const info = this.cellInfo.get(cells[0]!)!;
      const key = this.escapeKey(info.obj);
      if (key === undefined) continue;
      for (const c of cells)
        for (const e of this.pts[c]!) {
          const k = this.escapeKey(this.objOf(e));
          if (k === undefined || k === key) continue;
          let set = out.get(key);
          if (!set) out.set(key, (set = new Set()));
          set.add(k);
        }
    }
    return [...out].map(([k, v]): [string, string[]] => [k, [...v].sort()]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** True when parameter `index` of the function `key` has a `param` object (a marked, typed parameter of an exported function). */
  marksParameter(key: string, index: number): boolean {
    return this.objectIndex.has(`param:${key}:${index}`);
  }

  /** An object as escape accounting names it: sites, marked parameters, stack slots, globals; undefined for the rest. */
  private escapeKey(obj: number): string | undefined {
    const kind = this.objects[obj]!.kind;
    if (kind !== 'site' && kind !== 'param' && kind !== 'stack' && kind !== 'global') return undefined;
    const ref = this.refOf(this.enc(obj, UNKNOWN));
    return ref.slice(0, ref.lastIndexOf('@'));
  }

  /** Sizes of the solution, for reports. */
  get stats(): { objects: number; nodes: number; cells: number } {
    return { objects: this.objects.length, nodes: this.pts.length, cells: this.cellIndex.size };
  }
}

/** References external facts name symbolically, by what other code returns or passes on: no object of this analysis. */
const SYMBOLIC_REF = /^(result|passed|va):/;

/** Component number of each node (iterative Tarjan). */
function stronglyConnected(succ: number[][]): Int32Array {
  const n = succ.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const comp = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  let next = 0,
    comps = 0;
  const callStack: [number, number][] = [];
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    callStack.push([root, 0]);
    index[root] = low[root] = next++;
    stack.push(root);
    onStack[root] = 1;
    while (callStack.length) {
      const top = callStack[callStack.length - 1]!;
      const [v, i] = top;
      const out = succ[v]!;
      if (i < out.length) {
        top[1] = i + 1;
        const w = out[i]!;
        if (index[w] === -1) {
          index[w] = low[w] = next++;
          stack.push(w);
          onStack[w] = 1;
          callStack.push([w, 0]);
        } else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      callStack.pop();
      if (callStack.length) {
        const u = callStack[callStack.length - 1]![0];
        low[u] = Math.min(low[u]!, low[v]!);
      }
      if (low[v] === index[v]) {
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp[w] = comps;
        } while (w !== v);
        comps++;
      }
    }
  }
  return comp;
}

/** Edge lists at least this long get a key set for deduplication. */
const EDGE_SCAN = 16;
/** An edge's identity: target node and offset delta (UNKNOWN, or any byte offset) in one safe integer. */
const edgeKey = (to: number, delta: number): number => to * 0x100000000 + (delta + 0x80000000);

/** The debug type of the member at a byte offset of `t` (the innermost member starting there). */
function memberTypeAt(t: Metadata | null, off: number): Metadata | null {
  let cur = stripQualifiers(t);
  let o = off;
  for (let depth = 0; cur && depth < 32; depth++) {
    if (cur.kind !== 'DICompositeType' || !cur.elements || cur.elements.kind !== 'tuple') return cur;
    if (cur.tag === 'DW_TAG_array_type') {
      const e = stripQualifiers(cur.baseType);
      const sz = e && 'size' in e && typeof e.size === 'number' && e.size ? e.size / 8 : 0;
      if (!sz) return null;
      o %= sz;
      cur = e;
      continue;
    }
    let next: Metadata | null = null;
    let nextOff = 0;
    for (const m of cur.elements.operands) {
      if (m?.kind !== 'DIDerivedType' || m.tag !== 'DW_TAG_member') continue;
      const mo = Math.floor(m.offset / 8);
      const ms = m.size ? m.size / 8 : 8;
      if (o >= mo && o < mo + ms) {
        next = m.baseType;
        nextOff = mo;
        break;
      }
    }
    if (!next) return null;
    o -= nextOff;
    const s = stripQualifiers(next);
    if (o === 0 && !(s && s.kind === 'DICompositeType' && s.tag !== 'DW_TAG_array_type')) return next;
    cur = s;
  }
  return null;
}

/** Cells other TUs read too: type-field cells, and cells of exported globals without a record type. */
const isShared = (base: string): boolean => base.startsWith('T:') || (base.startsWith('G:') && !base.includes('::'));

/** Cells only the object's own code reads: a buffer's or unknown-typed site's, a stack slot's, a static global's without a record type. */
const hasOwnCells = (base: string): boolean =>
  base.startsWith('A:') || base.startsWith('S:') || (base.startsWith('G:') && base.includes('::'));

/**
 * True when a store puts back into a location a pointer computed from what it loaded there:
 * `%d = load ptr, ptr %a; %n = getelementptr i8, ptr %d, i64 %len; store ptr %n, ptr %a`
 * (`skb->data += len`, `iter->pos++`). The value's only pointer is that load (through GEPs and
 * casts), and the load's address is the store's (the same value, or a GEP of the same base at
 * the same constant offset). Such a store adds no object the location did not hold.
 */
export function isSelfUpdate(value: Value, address: Value): boolean {
  let v = value;
  for (let k = 0; k < 16; k++) {
    if (v.kind !== 'instruction') return false;
    if (v.opcode === 'getelementptr' || v.opcode === 'bitcast' || v.opcode === 'addrspacecast') {
      v = v.operands[0]!;
      continue;
    }
    return v.opcode === 'load' && sameAddress(v.operands[0]!, address);
  }
  return false;
}

/** Two address values that are the same location: the same value, or GEPs of one base at one constant offset. */
function sameAddress(a: Value, b: Value): boolean {
  const x = stripCasts(a);
  const y = stripCasts(b);
  if (x === y) return true;
  if (x.kind !== 'instruction' || y.kind !== 'instruction' || x.opcode !== 'getelementptr' || y.opcode !== 'getelementptr') return false;
  const dx = gepOffset(x.operands, x.sourceElementType);
  const dy = gepOffset(y.operands, y.sourceElementType);
  return dx !== UNKNOWN && dx === dy && stripCasts(x.operands[0]!) === stripCasts(y.operands[0]!);
}
