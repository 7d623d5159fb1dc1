// Owns reading what the run time saw: the loader's event lines
// (runtime/loader/report.c: KC-VIOLATION + KC-STACK, KC-REFUSED, KC-COUNTERS,
// KC-ATTACHED, KC-PHASE) from a loader log, from a whole e2e guest log (only
// its "---- loader ----" section, as scripts/e2e/run.ts reads it), or from a
// JSON-lines file of the same records (one object per line, `type` first).
// Pure: text in, typed events out; names keep the loader's \xNN escapes
// decoded, so they must be HTML-escaped wherever they are shown.

/** One `KC-VIOLATION` line and the `KC-STACK` line after it. */
export interface ViolationEvent {
  readonly type: 'violation';
  /** The site id of the seed (the emitted program `kc_site_<site>`). */
  readonly site: number;
  /** The write's source location (innermost frame) as the seed holds it. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly function: string;
  /** The probed instruction, `symbol+0xOFF`, split. */
  readonly symbol: string;
  readonly offset: number;
  /** The policy access id of the site's program. */
  readonly access: string;
  /** The address written, as hex (`0x…`). */
  readonly addr: string;
  /** The region the checker found the address in (`slab`, `stack`, …, `none`). */
  readonly region: string;
  /** The object (slab object, page, area) the address is in, hex; `0x0` when none. */
  readonly object: string;
  readonly cache: string;
  /** Who allocated the object: a policy allocation-site id, `none`, `adopted` or `vmalloc-caller-N`. */
  readonly alloc: string;
  readonly pid: number;
  readonly comm: string;
  readonly stackId: number;
  /** The symbolized stack (`function+0xOFF`), innermost first; empty when none was recorded. */
  readonly stack: readonly string[];
  /** The loader's phase when the event was printed (`audit` / `enforce`), when a KC-PHASE line preceded it. */
  readonly phase?: string;
}

/** One `KC-REFUSED` line: a probe the kernel would not attach. */
export interface RefusalEvent {
  readonly type: 'refused';
  /** `site` (a site program), `alloc` (an allocation probe) or `track` (a tracking probe). */
  readonly what: string;
  readonly program: string;
  readonly symbol: string;
  readonly offset: number;
  /** The kernel's reason (strerror). */
  readonly reason: string;
}

/** One `KC-COUNTERS <when> name=value …` line. */
export interface CountersEvent {
  readonly type: 'counters';
  /** `now` (on SIGUSR2) or `final` (on exit). */
  readonly when: string;
  readonly values: Readonly<Record<string, number>>;
}

/** Everything a report uses from one run. */
export interface RunEvents {
  readonly violations: readonly ViolationEvent[];
  readonly refusals: readonly RefusalEvent[];
  readonly counters: readonly CountersEvent[];
  /** The `KC-ATTACHED` line's numbers (sites, refused, alloc_and_track, track_refused, seconds). */
  readonly attached?: Readonly<Record<string, number>>;
  /** `KC-WIDENED` and `KC-WARN` lines, as printed. */
  readonly notes: readonly string[];
  /** What was read: `loader-log`, `guest-log` (its loader section) or `jsonl`. */
  readonly format: 'loader-log' | 'guest-log' | 'jsonl';
}

/** Decodes the loader's `put_name` escapes (`\xNN` for bytes outside printable ASCII, `"` and `\`). */
export function unescapeLoaderName(s: string): string {
  if (!s.includes('\\x')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      const c = s.charCodeAt(i);
      if (c < 0x80) bytes.push(c);
      else for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `name=value` pairs of a line, numbers only. */
function numbers(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/(\w+)=(\d+(?:\.\d+)?)(?=\s|$)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

const QUOTED = '"((?:[^"\\\\]|\\\\x[0-9a-fA-F]{2})*)"';
/** A quoted name without a capture group (fields the report does not read). */
const QUOTED_SKIP = '"(?:[^"\\\\]|\\\\x[0-9a-fA-F]{2})*"';
const VIOLATION = new RegExp(
  `^KC-VIOLATION site=(\\d+) at=${QUOTED} function=${QUOTED} probe=${QUOTED} access=${QUOTED} ` +
    `addr=(0x[0-9a-f]+) region=(\\w+) object=(0x[0-9a-f]+) cache=(0x[0-9a-f]+)` +
    // the cache's name and object size, and the kernel symbol an address outside every region lies in
    `(?: cache_name=${QUOTED_SKIP} object_size=\\d+)?(?: symbol=${QUOTED_SKIP})? alloc=(${QUOTED}|[\\w-]+)? ` +
    `pid=(\\d+) comm=${QUOTED} stack_id=(-?\\d+)`,
);
const REFUSED = new RegExp(`^KC-REFUSED (\\w+) (\\S+) at ${QUOTED}\\+0x([0-9a-f]+): (.*)$`);

/** `file:line:column` → its parts (the file may itself contain colons). */
function splitAt(at: string): { file: string; line: number; column: number } {
  const m = /^(.*):(\d+):(\d+)$/.exec(at);
  return m ? { file: m[1]!, line: Number(m[2]), column: Number(m[3]) } : { file: at, line: 0, column: 0 };
}

/** `symbol+0xOFF` → its parts. */
function splitProbe(probe: string): { symbol: string; offset: number } {
  const m = /^(.*)\+0x([0-9a-f]+)$/.exec(probe);
  return m ? { symbol: m[1]!, offset: parseInt(m[2]!, 16) } : { symbol: probe, offset: 0 };
}

/** Parses one KC-VIOLATION line (without its stack), or undefined when it is not one. */
export function parseViolationLine(line: string, phase?: string): ViolationEvent | undefined {
  const m = VIOLATION.exec(line);
  if (!m) return undefined;
  const at = splitAt(unescapeLoaderName(m[2]!));
  const probe = splitProbe(unescapeLoaderName(m[4]!));
  const alloc = m[11] !== undefined ? unescapeLoaderName(m[11]) : (m[10] ?? 'unknown');
  return {
    type: 'violation',
    site: Number(m[1]),
    ...at,
    function: unescapeLoaderName(m[3]!),
    ...probe,
    access: unescapeLoaderName(m[5]!),
    addr: m[6]!,
    region: m[7]!,
    object: m[8]!,
    cache: m[9]!,
    alloc,
    pid: Number(m[12]),
    comm: unescapeLoaderName(m[13]!),
    stackId: Number(m[14]),
    stack: [],
    ...(phase !== undefined ? { phase } : {}),
  };
}

/** Parses one KC-REFUSED line, or undefined when it is not one. */
export function parseRefusalLine(line: string): RefusalEvent | undefined {
  const m = REFUSED.exec(line);
  if (!m) return undefined;
  return { type: 'refused', what: m[1]!, program: m[2]!, symbol: unescapeLoaderName(m[3]!), offset: parseInt(m[4]!, 16), reason: m[5]! };
}

/**
 * Reads the loader's output. A whole guest log of `npm run e2e` (with its
 * `---- loader ----` … `---- dmesg ----` section) is narrowed to the loader's
 * own log first, so a refusal the guest script previewed is counted once.
 */
export function parseLoaderLog(text: string): RunEvents {
  let lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  let format: RunEvents['format'] = 'loader-log';
  const start = lines.indexOf('---- loader ----');
  if (start >= 0) {
    const end = lines.indexOf('---- dmesg ----', start);
    lines = lines.slice(start + 1, end > start ? end : undefined);
    format = 'guest-log';
  }
  const violations: ViolationEvent[] = [];
  const refusals: RefusalEvent[] = [];
  const counters: CountersEvent[] = [];
  const notes: string[] = [];
  let attached: Record<string, number> | undefined;
  let phase: string | undefined;
  let last: { -readonly [K in keyof ViolationEvent]: ViolationEvent[K] } | undefined;
  for (const line of lines) {
    if (line.startsWith('KC-VIOLATION ')) {
      const v = parseViolationLine(line, phase);
      last = v ? { ...v } : undefined;
      if (last) violations.push(last);
    } else if (line.startsWith('KC-STACK')) {
      if (last && last.stack.length === 0)
        last.stack = line.slice('KC-STACK'.length).trim().split(/\s+/).filter(Boolean).map(unescapeLoaderName);
    } else {
      last = undefined;
      if (line.startsWith('KC-REFUSED ')) {
        const r = parseRefusalLine(line);
        if (r) refusals.push(r);
      } else if (line.startsWith('KC-COUNTERS ')) {
        const [, when = '', ...rest] = line.split(' ');
        counters.push({ type: 'counters', when, values: numbers(rest.join(' ')) });
      } else if (line.startsWith('KC-ATTACHED ')) {
        attached = numbers(line.slice('KC-ATTACHED '.length));
      } else if (line.startsWith('KC-PHASE ')) {
        phase = line.slice('KC-PHASE '.length).trim();
      } else if (line.startsWith('KC-WIDENED') || line.startsWith('KC-WARN')) {
        notes.push(line);
      }
    }
  }
  return { violations, refusals, counters, ...(attached ? { attached } : {}), notes, format };
}

/** One line of the JSON-lines form: a violation, refusal or counters record, or `{"type":"attached", …numbers}`. */
export type EventRecord = ViolationEvent | RefusalEvent | CountersEvent | ({ type: 'attached' } & Record<string, number | string>);

/** Writes events as JSON lines (the form {@link parseEventsJsonl} reads). */
export function eventsToJsonl(events: RunEvents): string {
  const recs: EventRecord[] = [
    ...(events.attached ? [{ type: 'attached' as const, ...events.attached }] : []),
    ...events.refusals,
    ...events.violations,
    ...events.counters,
  ];
  return recs.map((r) => JSON.stringify(r)).join('\n') + (recs.length ? '\n' : '');
}

/** Reads the JSON-lines form; a line that is not a known record is an error naming its number. */
export function parseEventsJsonl(text: string): RunEvents {
  const violations: ViolationEvent[] = [];
  const refusals: RefusalEvent[] = [];
  const counters: CountersEvent[] = [];
  let attached: Record<string, number> | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new Error(`events line ${i + 1}: not JSON`);
    }
    const r = rec as Record<string, unknown>;
    const str = (k: string, d = ''): string => (typeof r[k] === 'string' ? (r[k] as string) : d);
    const num = (k: string, d = 0): number => (typeof r[k] === 'number' ? (r[k] as number) : d);
    switch (r['type']) {
      case 'violation':
        violations.push({
          type: 'violation',
          site: num('site'),
          file: str('file'),
          line: num('line'),
          column: num('column'),
          function: str('function'),
          symbol: str('symbol'),
          offset: num('offset'),
          access: str('access'),
          addr: str('addr', '0x0'),
          region: str('region', 'none'),
          object: str('object', '0x0'),
          cache: str('cache', '0x0'),
          alloc: str('alloc', 'none'),
          pid: num('pid'),
          comm: str('comm'),
          stackId: num('stackId', -1),
          stack: Array.isArray(r['stack']) ? (r['stack'] as unknown[]).map(String) : [],
          ...(typeof r['phase'] === 'string' ? { phase: r['phase'] } : {}),
        });
        return;
      case 'refused':
        refusals.push({
          type: 'refused',
          what: str('what'),
          program: str('program'),
          symbol: str('symbol'),
          offset: num('offset'),
          reason: str('reason'),
        });
        return;
      case 'counters': {
        const values: Record<string, number> = {};
        const v = r['values'];
        if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (typeof x === 'number') values[k] = x;
        counters.push({ type: 'counters', when: str('when'), values });
        return;
      }
      case 'attached': {
        attached = {};
        for (const [k, x] of Object.entries(r)) if (typeof x === 'number') attached[k] = x;
        return;
      }
      default:
        throw new Error(`events line ${i + 1}: unknown record type ${JSON.stringify(r['type'])}`);
    }
  });
  return { violations, refusals, counters, ...(attached ? { attached } : {}), notes: [], format: 'jsonl' };
}

/** Reads events in either form: JSON lines when the first non-blank character is `{`, the loader's text otherwise. */
export function parseEvents(text: string): RunEvents {
  return /^\s*\{/.test(text) ? parseEventsJsonl(text) : parseLoaderLog(text);
}

/** Merges two readings (events from one file, counters from another). */
export function mergeEvents(a: RunEvents, b: RunEvents): RunEvents {
  return {
    violations: [...a.violations, ...b.violations],
    refusals: [...a.refusals, ...b.refusals],
    counters: [...a.counters, ...b.counters],
    ...((a.attached ?? b.attached) ? { attached: (a.attached ?? b.attached)! } : {}),
    notes: [...a.notes, ...b.notes],
    format: a.format,
  };
}
