// Owns the report model (issue 17): a mapped policy, optionally the events of
// a run and the compartment's source texts, turned into what the pages show —
// the status of every machine site and access (statically safe, checked, any,
// unmapped, no operand, rip-relative, unsupported register, refused at
// attach), counts per region and per widening reason, the legal-set size
// distribution, each access anchored to a line of a compartment source file,
// allocation sites with their probe status, and each violation matched to its
// site. Pure: no I/O. A site's status follows src/emit/emit.ts exactly (the
// same order, the same grouping of accesses on one instruction, the same
// program ids), so the counts equal the emit statistics and the ids equal the
// loader's `site=` numbers; the map figures follow src/binary/mapper.ts.
import { ATTACHABLE_SYMBOL, INIT_SECTION, legalSetSize, percentile } from '../policy/index.js';
import type { Access, AllocationSite, BinarySite, LegalSet, MemoryOperand, Policy, SourceFrame, Widening } from '../policy/index.js';
import type { RefusalEvent, RunEvents, ViolationEvent } from './events.js';

/** Why a machine site got no program, as src/emit names it; or `checked` (a program) and `refused` (a program the kernel would not attach). */
export type SiteStatus =
  | 'statically-safe'
  | 'checked'
  | 'refused'
  | 'legal-any'
  | 'unmapped'
  | 'no-operand'
  | 'rip-relative'
  | 'unsupported-register'
  | 'init-text';

/** Every site status, in the order tables show them. */
export const SITE_STATUSES: readonly SiteStatus[] = [
  'statically-safe',
  'checked',
  'refused',
  'legal-any',
  'unmapped',
  'no-operand',
  'rip-relative',
  'unsupported-register',
  'init-text',
];

/**
 * What an access (and a source line, the worst of its accesses) amounts to:
 * `violated` (a run reported it), `any` (widened to any memory: never checked),
 * `unmapped` (no machine site), `refused` (a site program was refused at attach),
 * `unchecked` (some machine site has no program for a reason other than safety),
 * `checked` (every site is checked or statically safe, at least one checked),
 * `safe` (every site statically safe, or a rip-relative write into a global of its set).
 */
export type AccessStatus = 'violated' | 'any' | 'unmapped' | 'refused' | 'unchecked' | 'checked' | 'safe';

/** Access statuses, worst first. */
export const ACCESS_STATUSES: readonly AccessStatus[] = ['violated', 'any', 'unmapped', 'refused', 'unchecked', 'checked', 'safe'];

/** The regions of a legal set (DESIGN.md §3), plus `foreign` and `any`. */
export const REGIONS = ['stack', 'global', 'slab', 'buddy', 'vmalloc', 'percpu', 'vmemmap', 'foreign', 'skb-head', 'any'] as const;
export type Region = (typeof REGIONS)[number];

/** One machine site of an access, with its status. */
export interface SiteView {
  readonly object: string;
  readonly symbol: string;
  readonly offset: number;
  readonly section: string;
  /** The memory operand in AT&T-like form (`%gs:0x10(%rax,%rcx,8)`), when recorded. */
  readonly operand?: string;
  readonly width?: number;
  readonly confidence: BinarySite['confidence'];
  readonly reason?: string;
  readonly status: SiteStatus;
  /** For statically safe sites: the rule (as `kcompart map` counts them). */
  readonly safeBy?: 'rsp' | 'rbp' | 'global' | 'covered';
  /** For rip-relative sites: resolved ahead of time, inside or outside the legal set (`gs-` for per-cpu). */
  readonly rip?: 'legal' | 'outside' | 'gs-legal' | 'gs-outside';
  /** The emitted program's id (`kc_site_<id>`; the loader's `site=`), for checked and refused sites. */
  readonly program?: number;
  /** Other accesses on the same instruction whose legal sets the program unites. */
  readonly sharedWith?: number;
  /** The kernel's reason, when the program was refused at attach. */
  readonly refusedBecause?: string;
  /** Indices into {@link ReportModel.violations} reported at this site. */
  readonly violations: readonly number[];
}

/** One access of the policy, as the pages show it. */
export interface AccessView {
  readonly index: number;
  readonly id: string;
  readonly module: string;
  readonly function: string;
  readonly op: Access['op'];
  readonly callee?: string;
  readonly width?: number;
  /** The location chain, innermost first. */
  readonly chain: readonly SourceFrame[];
  /** The compartment file and line the access is shown at (see {@link anchorOf}); undefined without a location. */
  readonly anchor?: { readonly file: string; readonly line: number; readonly column: number };
  /** Index into {@link ReportModel.legalSets}. */
  readonly legal: number;
  /** Entries of the legal set, counted as `kcompart analyze` does (undefined for `any`). */
  readonly legalSize?: number;
  readonly status: AccessStatus;
  readonly sites: readonly SiteView[];
  /** Indices into {@link ReportModel.violations}. */
  readonly violations: readonly number[];
  /** A fallback access of the mapper (no IR write): the orphan writes of its function and what they stand for (`Access.fallback`). */
  readonly fallback?: { readonly accesses: readonly string[]; readonly basis: 'unmapped' | 'function' };
  /** An unmapped access whose function's orphan writes are checked by this fallback access (its id), against a union of sets. */
  readonly behindFallback?: string;
}

/** One source line with writes. */
export interface LineView {
  readonly line: number;
  readonly status: AccessStatus;
  /** Indices into {@link ReportModel.accesses}. */
  readonly accesses: readonly number[];
  readonly violations: number;
}

/** A compartment source file: where its accesses are shown. */
export interface FileView {
  /** The path as the debug info names it (directory joined). */
  readonly file: string;
  /** The page's file name in the report directory. */
  readonly page: string;
  readonly accesses: readonly number[];
  /** Lines with writes, ascending. */
  readonly lines: readonly LineView[];
  readonly byStatus: Readonly<Record<AccessStatus, number>>;
  readonly violations: number;
  readonly source: SourceText;
}

/** A source text, or why there is none. */
export interface SourceText {
  /** Where it was read from (after --source-root relocation), or the paths tried. */
  readonly path: string;
  readonly text?: string;
  /** Why the text is missing (not found, unreadable, too large). */
  readonly missing?: string;
}

/** One violation event matched to the policy. */
export interface ViolationView {
  readonly index: number;
  readonly event: ViolationEvent;
  /** The access whose program reported it, when matched. */
  readonly access?: number;
  /** How it was matched: by the program id and its probe address, by the probe address alone, by the access id, or not at all. */
  readonly matchedBy: 'program' | 'probe' | 'access-id' | 'none';
  /** The allocation site whose object was written (the target's owner), when `alloc=` names one of the policy. */
  readonly owner?: number;
}

/** One allocation site, with its probe status. */
export interface AllocationView {
  readonly index: number;
  readonly site: AllocationSite;
  /** The frame of its location shown as where it is (the innermost in a compartment file; see {@link anchorOf}). */
  readonly anchor?: SourceFrame;
  /**
   * `tracked`: named by a checked legal set and recorded by probes; `untracked`: named but no probe
   * records its objects (checked by kind only); `unused`: no checked legal set names it (no probe emitted);
   * `refused`: every probe was refused at attach.
   */
  readonly probeStatus: 'tracked' | 'untracked' | 'unused' | 'refused';
  readonly refused: readonly RefusalEvent[];
  /** Accesses whose legal set names this site. */
  readonly namedBy: number;
  /** Violations whose target object this site allocated. */
  readonly violations: number;
}

/** Counts by status, for accesses and machine sites. */
export interface StatusCounts {
  readonly accesses: Readonly<Record<AccessStatus, number>>;
  readonly sites: Readonly<Record<SiteStatus, number>>;
}

/** What `kcompart analyze`, `map` and `emit` print for the same policy, recomputed from it. */
export interface Figures {
  readonly analyze: {
    readonly accesses: number;
    readonly functions: number;
    readonly allocationSites: number;
    readonly sitesByKind: Readonly<Record<string, number>>;
    readonly caches: number;
    readonly legalSetSize: { readonly median: number; readonly p90: number; readonly max: number };
    /** Accesses widened to any, and their share. */
    readonly any: number;
    readonly anyShare: number;
    /** Every widening reason kind with the number of reasons (an access may have several), most first. */
    readonly reasons: readonly { readonly kind: string; readonly count: number }[];
  };
  readonly map: {
    readonly accesses: number;
    readonly mapped: number;
    readonly exact: number;
    readonly ambiguous: number;
    readonly unmapped: number;
    readonly unmappedReasons: Readonly<Record<string, number>>;
    /** Machine sites (candidate instructions; the unmapped placeholders are not counted). */
    readonly sites: number;
    readonly staticallySafeSites: number;
    readonly safeBy: { readonly rsp: number; readonly rbp: number; readonly global: number; readonly covered: number };
    readonly checkedSites: number;
  };
  readonly emit: {
    readonly programs: number;
    /** Binary sites as the emitter counts them (with the unmapped placeholders). */
    readonly binarySites: number;
    readonly skipped: Readonly<Record<Exclude<SiteStatus, 'checked' | 'refused'>, number>>;
    readonly merged: number;
    readonly allocations: { readonly tracked: number; readonly untracked: number; readonly probes: number };
  };
  /** From the events, when given. */
  readonly run?: {
    readonly violations: number;
    readonly refusedSitePrograms: number;
    readonly refusedOtherProbes: number;
    readonly refusedReasons: Readonly<Record<string, number>>;
    readonly attached?: Readonly<Record<string, number>>;
    readonly counters: readonly { readonly when: string; readonly values: Readonly<Record<string, number>> }[];
  };
}

/** The whole report. */
export interface ReportModel {
  readonly title: string;
  readonly compartment: string;
  readonly generator: string;
  readonly figures: Figures;
  readonly totals: StatusCounts;
  readonly byRegion: Readonly<Record<Region, StatusCounts>>;
  /** Keyed by widening kind, plus `none` for accesses without a widening reason. */
  readonly byReason: Readonly<Record<string, StatusCounts>>;
  /** Legal-set size → accesses (sets widened to any are left out, as `kcompart analyze` does). */
  readonly legalSizes: readonly { readonly size: number; readonly count: number }[];
  readonly legalSets: readonly LegalSet[];
  readonly accesses: readonly AccessView[];
  readonly files: readonly FileView[];
  /** Accesses without a source location. */
  readonly unlocated: readonly number[];
  readonly allocations: readonly AllocationView[];
  readonly violations: readonly ViolationView[];
  /** Refusals the model could not pin to a site program or allocation probe. */
  readonly otherRefusals: readonly RefusalEvent[];
  readonly notes: readonly string[];
  readonly hasEvents: boolean;
}

/** Options of {@link buildReport}. */
export interface BuildReportOptions {
  /** The run's events (parseEvents / parseLoaderLog). */
  readonly events?: RunEvents;
  /** Source texts by the path the debug info names; a file not in the map is shown as missing. */
  readonly sources?: ReadonlyMap<string, SourceText>;
  /** The report's title; default `kcompart report: <compartment>`. */
  readonly title?: string;
}

const zero = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
const newCounts = (): { accesses: Record<AccessStatus, number>; sites: Record<SiteStatus, number> } => ({
  accesses: zero(ACCESS_STATUSES),
  sites: zero(SITE_STATUSES),
});

/** The regions a legal set names. */
export function regionsOf(l: LegalSet): Region[] {
  if (l.any) return ['any'];
  const r: Region[] = [];
  if (l.stack) r.push('stack');
  if (l.globals.length) r.push('global');
  if (l.slabCaches.length || l.slabSites.length) r.push('slab');
  if (l.buddySites.length) r.push('buddy');
  if (l.vmallocCallers.length) r.push('vmalloc');
  if (l.percpu) r.push('percpu');
  if (l.vmemmap) r.push('vmemmap');
  if (l.foreign) r.push('foreign');
  if (l.classes?.includes('skb-head')) r.push('skb-head');
  return r;
}

/** An operand in AT&T-like form: `%gs:-0x8(%rax,%rcx,8)`, `sym+4(%rip)`. */
export function formatOperand(op: MemoryOperand): string {
  const seg = op.segment ? `%${op.segment}:` : '';
  const d = op.displacement;
  const disp =
    op.base === 'rip' && op.ripTarget
      ? op.ripTarget
      : d === 0 && (op.base || op.index)
        ? ''
        : d < 0
          ? `-0x${(-d).toString(16)}`
          : `0x${d.toString(16)}`;
  const regs = op.base || op.index ? `(${op.base ? `%${op.base}` : ''}${op.index ? `,%${op.index},${op.scale}` : ''})` : '';
  return `${seg}${disp}${regs}`;
}

/** `sym+0x10` / `module::sym` → the bare symbol name (as the emitter reads a rip target). */
function ripSymbol(target: string): string {
  const plus = target.search(/[+-]0x[0-9a-f]+$|[+-]\d+$/i);
  return plus > 0 ? target.slice(0, plus) : target;
}

const globalMatches = (legal: LegalSet, symbol: string): boolean => legal.globals.some((g) => g === symbol || g.endsWith(`::${symbol}`));

/** Files of the compartment: the files of the outermost frames (where compartment functions are defined). */
export function compartmentFiles(policy: Policy): Set<string> {
  const files = new Set<string>();
  for (const a of policy.accesses) {
    const outer = a.location[a.location.length - 1];
    if (outer) files.add(outer.file);
  }
  return files;
}

/**
 * The frame an access is shown at: the innermost frame in a compartment file
 * (a write inlined from a header is shown at the line of the compartment's
 * code that called it; a write inlined from another compartment function, at
 * its own line).
 */
export function anchorOf(chain: readonly SourceFrame[], files: ReadonlySet<string>): SourceFrame | undefined {
  for (const f of chain) if (files.has(f.file)) return f;
  return chain[chain.length - 1];
}

/** A page name for a source file: a number and the base name, reduced to safe characters. */
export function pageName(file: string, n: number): string {
  const base = (file.split('/').pop() ?? 'file').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60);
  return `src-${String(n).padStart(3, '0')}-${base}.html`;
}

const worst = (a: AccessStatus, b: AccessStatus): AccessStatus => (ACCESS_STATUSES.indexOf(a) <= ACCESS_STATUSES.indexOf(b) ? a : b);

type MutableSite = { -readonly [K in keyof SiteView]: SiteView[K] };

/**
 * Builds the report model of a mapped policy. With `events`, refusals mark
 * their site programs and allocation probes, and each violation is matched
 * to its site (by the program id and probe address the loader printed).
 */
export function buildReport(policy: Policy, options: BuildReportOptions = {}): ReportModel {
  const events = options.events;
  const files = compartmentFiles(policy);

  // ---- legal sets, deduplicated by content
  const legalIndex = new Map<string, number>();
  const legalSets: LegalSet[] = [];
  const legalOf = (l: LegalSet): number => {
    const key = JSON.stringify(l);
    let n = legalIndex.get(key);
    if (n === undefined) {
      n = legalSets.length;
      legalSets.push(l);
      legalIndex.set(key, n);
    }
    return n;
  };

  // ---- machine sites: the emitter's classification, in its order
  const sitesOf: MutableSite[][] = policy.accesses.map(() => []);
  interface Group {
    key: string;
    members: { a: number; s: MutableSite }[];
    any: boolean;
  }
  const groups = new Map<string, Group>();
  const safeBy = { rsp: 0, rbp: 0, global: 0, covered: 0 };
  let mapSites = 0,
    safeSites = 0;
  policy.accesses.forEach((a, ai) => {
    for (const b of a.binary ?? []) {
      const s: MutableSite = {
        object: b.object,
        symbol: b.symbol,
        offset: b.offset,
        section: b.section,
        confidence: b.confidence,
        ...(b.reason !== undefined ? { reason: b.reason } : {}),
        ...(b.operand ? { operand: formatOperand(b.operand), width: b.operand.width } : {}),
        status: 'checked',
        violations: [],
      };
      sitesOf[ai]!.push(s);
      if (b.confidence !== 'unmapped') mapSites++;
      const op = b.operand;
      if (b.staticallySafe === true) {
        s.status = 'statically-safe';
        s.safeBy = b.coveredBy !== undefined ? 'covered' : op?.base === 'rsp' ? 'rsp' : op?.base === 'rbp' ? 'rbp' : 'global';
        safeSites++;
        safeBy[s.safeBy]++;
        continue;
      }
      if (b.confidence === 'unmapped') {
        s.status = 'unmapped';
        continue;
      }
      // freed after init, before a policy can load (emit's init-text)
      if (INIT_SECTION.test(b.section)) {
        s.status = 'init-text';
        continue;
      }
      if (op === undefined) {
        // a call of a kernel writer is checked at the call from its argument registers (the first six)
        const w = a.writer;
        const isCall = b.call === true || /: the callee performs the write/.test(b.reason ?? '');
        if (w === undefined || !isCall) {
          s.status = 'no-operand';
          continue;
        }
        if (Math.max(w.destination, w.lengthArgument ?? 0) > 5) {
          s.status = 'unsupported-register';
          continue;
        }
      } else if (op.base === 'rip') {
        s.status = 'rip-relative';
        if (op.segment === 'gs') s.rip = a.legal.any || a.legal.percpu ? 'gs-legal' : 'gs-outside';
        else s.rip = a.legal.any || (op.ripTarget !== undefined && globalMatches(a.legal, ripSymbol(op.ripTarget))) ? 'legal' : 'outside';
        continue;
      } else if (!addressable(op)) {
        s.status = 'unsupported-register';
        continue;
      }
      const key = `${b.object}\0${b.symbol}\0${b.offset}`;
      const g = groups.get(key);
      if (g) {
        g.members.push({ a: ai, s });
        g.any ||= a.legal.any;
      } else groups.set(key, { key, members: [{ a: ai, s }], any: a.legal.any });
    }
  });
  // program ids in the emitter's order; the allocation sites each program's legal set names
  const programs: Group[] = [];
  const named = new Set<string>();
  let merged = 0;
  for (const g of groups.values()) {
    merged += g.members.length - 1;
    if (g.any) {
      for (const m of g.members) m.s.status = 'legal-any';
      continue;
    }
    const id = programs.length;
    programs.push(g);
    for (const m of g.members) {
      m.s.program = id;
      if (g.members.length > 1) m.s.sharedWith = g.members.length - 1;
      const l = policy.accesses[m.a]!.legal;
      for (const x of l.slabSites) named.add(x);
      for (const x of l.buddySites) named.add(x);
    }
  }

  // ---- refusals
  const progByProbe = new Map<string, number>();
  programs.forEach((g, id) => {
    progByProbe.set(`${g.members[0]!.s.symbol}+${g.members[0]!.s.offset}`, id);
  });
  const otherRefusals: RefusalEvent[] = [];
  const allocRefusals = new Map<string, RefusalEvent[]>();
  const refusedReasons: Record<string, number> = {};
  let refusedSitePrograms = 0,
    refusedOtherProbes = 0;
  for (const r of events?.refusals ?? []) {
    refusedReasons[r.reason] = (refusedReasons[r.reason] ?? 0) + 1;
    if (r.what === 'site') {
      refusedSitePrograms++;
      const m = /^kc_site_(\d+)$/.exec(r.program);
      let id = m ? Number(m[1]) : undefined;
      const g0 = id !== undefined ? programs[id] : undefined;
      if (!g0 || g0.members[0]!.s.symbol !== r.symbol || g0.members[0]!.s.offset !== r.offset)
        id = progByProbe.get(`${r.symbol}+${r.offset}`);
      const g = id !== undefined ? programs[id] : undefined;
      if (!g) {
        otherRefusals.push(r);
        continue;
      }
      for (const mm of g.members) {
        mm.s.status = 'refused';
        mm.s.refusedBecause = r.reason;
      }
    } else {
      refusedOtherProbes++;
      const k = `${r.symbol}+${r.offset}`;
      const list = allocRefusals.get(k) ?? [];
      list.push(r);
      allocRefusals.set(k, list);
    }
  }

  // ---- violations
  const siteIndex = new Map<string, { a: number; s: MutableSite }[]>();
  for (const g of programs) siteIndex.set(`${g.members[0]!.s.symbol}+${g.members[0]!.s.offset}`, g.members);
  const accessById = new Map(policy.accesses.map((a, i) => [a.id, i]));
  const accessTail = tailIndex(policy.accesses.map((a) => a.id));
  const allocById = new Map(policy.allocationSites.map((s, i) => [s.id, i]));
  // ids are `module:function:index`; a policy made in another checkout names the module by another path
  const allocTail = tailIndex(policy.allocationSites.map((s) => s.id));
  const accessViolations: number[][] = policy.accesses.map(() => []);
  const violations: ViolationView[] = (events?.violations ?? []).map((event, index) => {
    let members: { a: number; s: MutableSite }[] | undefined;
    let matchedBy: ViolationView['matchedBy'] = 'none';
    const g = programs[event.site];
    if (g && g.members[0]!.s.symbol === event.symbol && g.members[0]!.s.offset === event.offset) {
      members = g.members;
      matchedBy = 'program';
    } else if ((members = siteIndex.get(`${event.symbol}+${event.offset}`))) matchedBy = 'probe';
    let access: number | undefined;
    if (members) {
      // the access the loader names, when it is one of the instruction's; else the first
      const named =
        members.find((m) => policy.accesses[m.a]!.id === event.access) ??
        members.find((m) => tailOf(policy.accesses[m.a]!.id) === tailOf(event.access)) ??
        members[0]!;
      access = named.a;
      for (const m of members) (m.s.violations as number[]).push(index);
    } else if ((access = accessById.get(event.access) ?? byTail(accessTail, event.access)) !== undefined) matchedBy = 'access-id';
    if (access !== undefined) accessViolations[access]!.push(index);
    const owner = allocById.get(event.alloc) ?? byTail(allocTail, event.alloc);
    return { index, event, ...(access !== undefined ? { access } : {}), matchedBy, ...(owner !== undefined ? { owner } : {}) };
  });

  // ---- accesses
  const behind = new Map<string, string>();
  for (const f of policy.accesses)
    if (f.fallback?.basis === 'unmapped' && (f.binary?.length ?? 0) > 0) for (const id of f.fallback.accesses) behind.set(id, f.id);
  const accesses: AccessView[] = policy.accesses.map((a, i) => {
    const sites = sitesOf[i]!;
    let status: AccessStatus;
    const st = (x: SiteStatus) => sites.some((s) => s.status === x);
    const safe = (s: SiteView) =>
      s.status === 'statically-safe' || (s.status === 'rip-relative' && (s.rip === 'legal' || s.rip === 'gs-legal'));
    if (accessViolations[i]!.length) status = 'violated';
    else if (a.legal.any) status = 'any';
    else if (sites.length === 0 || sites.every((s) => s.status === 'unmapped')) status = 'unmapped';
    else if (st('refused')) status = 'refused';
    else if (sites.some((s) => !safe(s) && s.status !== 'checked')) status = 'unchecked';
    else if (st('checked')) status = 'checked';
    else status = 'safe';
    const anchor = anchorOf(a.location, files);
    return {
      index: i,
      id: a.id,
      module: a.module,
      function: a.function,
      op: a.op,
      ...(a.callee !== undefined ? { callee: a.callee } : {}),
      ...(a.width !== undefined ? { width: a.width } : {}),
      chain: a.location,
      ...(anchor ? { anchor: { file: anchor.file, line: anchor.line, column: anchor.column } } : {}),
      legal: legalOf(a.legal),
      ...(a.legal.any ? {} : { legalSize: legalSetSize(a.legal) }),
      status,
      sites,
      violations: accessViolations[i]!,
      ...(a.fallback !== undefined ? { fallback: { accesses: a.fallback.accesses, basis: a.fallback.basis } } : {}),
      ...(behind.has(a.id) && sites.every((s) => s.status === 'unmapped') ? { behindFallback: behind.get(a.id)! } : {}),
    };
  });

  // ---- counts
  const totals = newCounts();
  const byRegion = Object.fromEntries(REGIONS.map((r) => [r, newCounts()])) as Record<Region, ReturnType<typeof newCounts>>;
  const byReason: Record<string, ReturnType<typeof newCounts>> = {};
  const add = (c: ReturnType<typeof newCounts>, v: AccessView) => {
    c.accesses[v.status]++;
    for (const s of v.sites) c.sites[s.status]++;
  };
  for (const v of accesses) {
    const l = policy.accesses[v.index]!.legal;
    add(totals, v);
    for (const r of regionsOf(l)) add(byRegion[r], v);
    const kinds = new Set<string>(l.reasons.map((x) => x.kind));
    if (kinds.size === 0) kinds.add('none');
    for (const k of kinds) add((byReason[k] ??= newCounts()), v);
  }

  // ---- files and lines
  const byFile = new Map<string, number[]>();
  const unlocated: number[] = [];
  for (const v of accesses) {
    if (!v.anchor) {
      unlocated.push(v.index);
      continue;
    }
    const list = byFile.get(v.anchor.file) ?? [];
    list.push(v.index);
    byFile.set(v.anchor.file, list);
  }
  const fileViews: FileView[] = [...byFile.keys()].sort().map((file, n) => {
    const idx = byFile.get(file)!;
    const lines = new Map<number, { status: AccessStatus; accesses: number[]; violations: number }>();
    const byStatus = zero(ACCESS_STATUSES);
    let nv = 0;
    for (const i of idx) {
      const v = accesses[i]!;
      byStatus[v.status]++;
      nv += v.violations.length;
      const l = lines.get(v.anchor!.line) ?? { status: 'safe' as AccessStatus, accesses: [], violations: 0 };
      l.status = l.accesses.length ? worst(l.status, v.status) : v.status;
      l.accesses.push(i);
      l.violations += v.violations.length;
      lines.set(v.anchor!.line, l);
    }
    const source = options.sources?.get(file) ?? { path: file, missing: 'not read' };
    return {
      file,
      page: pageName(file, n),
      accesses: idx,
      lines: [...lines].sort((x, y) => x[0] - y[0]).map(([line, l]) => ({ line, ...l })),
      byStatus,
      violations: nv,
      source,
    };
  });

  // ---- allocation sites
  const allocViolations = new Map<number, number>();
  for (const v of violations) if (v.owner !== undefined) allocViolations.set(v.owner, (allocViolations.get(v.owner) ?? 0) + 1);
  const namedBy = new Map<string, number>();
  for (const a of policy.accesses)
    for (const id of new Set([...a.legal.slabSites, ...a.legal.buddySites])) namedBy.set(id, (namedBy.get(id) ?? 0) + 1);
  let tracked = 0,
    untracked = 0,
    probes = 0;
  const allocations: AllocationView[] = policy.allocationSites.map((site, index) => {
    const points = (site.probes ?? []).filter((p) => p.confidence !== 'unmapped' && Number.isSafeInteger(p.offset) && p.offset >= 0);
    const refused = points.flatMap((p) => allocRefusals.get(`${p.symbol}+${p.offset}`) ?? []);
    let probeStatus: AllocationView['probeStatus'];
    if (!named.has(site.id)) probeStatus = 'unused';
    else if (points.length === 0) {
      probeStatus = 'untracked';
      untracked++;
    } else {
      tracked++;
      const attachable = points.filter((p) => ATTACHABLE_SYMBOL.test(p.symbol));
      probes += attachable.length;
      probeStatus = attachable.length > 0 && refused.length >= attachable.length ? 'refused' : 'tracked';
    }
    const anchor = anchorOf(site.location, files);
    return {
      index,
      site,
      ...(anchor ? { anchor } : {}),
      probeStatus,
      refused,
      namedBy: namedBy.get(site.id) ?? 0,
      violations: allocViolations.get(index) ?? 0,
    };
  });

  // ---- figures the CLI prints
  const sizes = policy.accesses
    .filter((a) => !a.legal.any)
    .map((a) => legalSetSize(a.legal))
    .sort((x, y) => x - y);
  const sizeHist = new Map<number, number>();
  for (const s of sizes) sizeHist.set(s, (sizeHist.get(s) ?? 0) + 1);
  const reasons = new Map<string, number>();
  for (const a of policy.accesses) for (const r of a.legal.reasons) reasons.set(r.kind, (reasons.get(r.kind) ?? 0) + 1);
  const sitesByKind: Record<string, number> = {};
  for (const s of policy.allocationSites) sitesByKind[s.kind] = (sitesByKind[s.kind] ?? 0) + 1;
  const anyCount = policy.accesses.filter((a) => a.legal.any).length;
  let exact = 0,
    ambiguous = 0,
    unmappedAccesses = 0;
  // the mapper's order of reasons (src/binary/mapper.ts UnmappedReason)
  const unmappedReasons: Record<string, number> = {
    'line 0': 0,
    'no location': 0,
    'no symbol': 0,
    'no rows': 0,
    'inlined away': 0,
    'no writing instruction': 0,
  };
  for (const a of policy.accesses) {
    const bs = a.binary ?? [];
    if (bs.length === 0 || bs.every((b) => b.confidence === 'unmapped')) {
      unmappedAccesses++;
      const why = bs[0]?.reason ?? 'not mapped';
      unmappedReasons[why] = (unmappedReasons[why] ?? 0) + 1;
    } else if (bs.length === 1) exact++;
    else ambiguous++;
  }
  const skipped = {
    'statically-safe': totals.sites['statically-safe'],
    unmapped: totals.sites.unmapped,
    'no-operand': totals.sites['no-operand'],
    'rip-relative': totals.sites['rip-relative'],
    'legal-any': totals.sites['legal-any'],
    'unsupported-register': totals.sites['unsupported-register'],
    'init-text': totals.sites['init-text'],
  };
  const binarySites = accesses.reduce((n, v) => n + v.sites.length, 0);
  const figures: Figures = {
    analyze: {
      accesses: policy.accesses.length,
      functions: policy.compartment.functions.length,
      allocationSites: policy.allocationSites.length,
      sitesByKind,
      caches: policy.caches.length,
      legalSetSize: { median: percentile(sizes, 0.5), p90: percentile(sizes, 0.9), max: sizes[sizes.length - 1] ?? 0 },
      any: anyCount,
      anyShare: policy.accesses.length ? anyCount / policy.accesses.length : 0,
      reasons: [...reasons].map(([kind, count]) => ({ kind, count })).sort((x, y) => y.count - x.count),
    },
    map: {
      accesses: policy.accesses.length,
      mapped: exact + ambiguous,
      exact,
      ambiguous,
      unmapped: unmappedAccesses,
      unmappedReasons,
      sites: mapSites,
      staticallySafeSites: safeSites,
      safeBy,
      checkedSites: mapSites - safeSites,
    },
    emit: { programs: programs.length, binarySites, skipped, merged, allocations: { tracked, untracked, probes } },
    ...(events
      ? {
          run: {
            violations: violations.length,
            refusedSitePrograms,
            refusedOtherProbes,
            refusedReasons,
            ...(events.attached ? { attached: events.attached } : {}),
            counters: events.counters.map((c) => ({ when: c.when, values: c.values })),
          },
        }
      : {}),
  };

  return {
    title: options.title ?? `kcompart report: ${policy.compartment.name}`,
    compartment: policy.compartment.name,
    generator: `${policy.generator.tool} ${policy.generator.version}`,
    figures,
    totals,
    byRegion,
    byReason,
    legalSizes: [...sizeHist].sort((x, y) => x[0] - y[0]).map(([size, count]) => ({ size, count })),
    legalSets,
    accesses,
    files: fileViews,
    unlocated,
    allocations,
    violations,
    otherRefusals,
    notes: events?.notes ?? [],
    hasEvents: events !== undefined,
  };
}

/** `function:index` (the last two parts of an id) → the index of the only id ending so; -1 when several do. */
function tailIndex(ids: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  ids.forEach((id, i) => {
    const t = tailOf(id);
    m.set(t, m.has(t) ? -1 : i);
  });
  return m;
}

const tailOf = (id: string): string => id.split(':').slice(-2).join(':');

function byTail(index: ReadonlyMap<string, number>, id: string): number | undefined {
  const n = index.get(tailOf(id));
  return n === undefined || n < 0 ? undefined : n;
}

/** Registers the emitter can read from `struct pt_regs` (its REGS table). */
const PT_REGS = new Set([
  'rax',
  'eax',
  'rbx',
  'ebx',
  'rcx',
  'ecx',
  'rdx',
  'edx',
  'rsi',
  'esi',
  'rdi',
  'edi',
  'rbp',
  'ebp',
  'rsp',
  'esp',
  ...Array.from({ length: 8 }, (_, i) => `r${i + 8}`),
  ...Array.from({ length: 8 }, (_, i) => `r${i + 8}d`),
]);

/** Whether the emitter can compute the operand's address from pt_regs (its addressExpression, and only fs-less segments). */
function addressable(op: MemoryOperand): boolean {
  if (op.segment !== undefined && op.segment !== 'gs') return false;
  if (op.base !== undefined && !PT_REGS.has(op.base)) return false;
  if (op.index !== undefined && (!PT_REGS.has(op.index) || ![1, 2, 4, 8].includes(op.scale))) return false;
  return Number.isSafeInteger(op.displacement);
}

/** A widening reason in one line: `kind: detail (file:line)`. */
export function describeReason(r: Widening): string {
  const at = r.location?.[0];
  return `${r.kind}: ${r.detail}${at ? ` (${at.file}:${at.line})` : ''}`;
}
