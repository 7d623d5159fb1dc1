// Owns the fuzzing harness shared by test/fuzz.test.ts and scripts/fuzz.ts:
// locating the repository and the corpus, loading the seed files, running one
// mutated case against the parser and checking the robustness property of
// DESIGN.md §2 ("a ParseError carrying file, line, column …; never an
// unrelated exception, on any input"). The parser is passed in, so this file
// does not depend on src/.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseSeed, mutate, Rng, type Mutated } from './mutate.js';
import { corpusDir, repoRoot } from './paths.js';
import type { Watchdog } from './watchdog.js';

export { corpusDir, repoRoot };

export interface Seed {
  /** short id used on the command line and in failure reports */
  id: string;
  /** where it comes from (for reports) */
  origin: string;
  /** the seed text, one char per byte */
  text: string;
}

interface SeedSpec {
  id: string;
  /** in the default (vitest) set; the others only run in the long fuzz */
  small: boolean;
  load: (root: string, corpus: string) => { origin: string; bytes: Buffer };
}

function file(rel: (root: string, corpus: string) => string) {
  return (root: string, corpus: string) => {
    const p = rel(root, corpus);
    return { origin: p, bytes: readFileSync(p) };
  };
}

/**
 * A self-contained slice of a clang 14 file (typed pointers, `call
 * @llvm.dbg.value`), built at run time from the corpus so nothing is copied
 * into the repository: the header and `module asm`, every named type, the
 * first function definitions (up to ~`budget` bytes), and the closure of what
 * they use — global variables (transitively), declarations (functions defined
 * elsewhere in the file become `declare`s), attribute groups, named metadata
 * and the metadata nodes reachable from all of it. To keep the debug-info
 * graph small, the compile unit loses its enums/retainedTypes/globals/imports
 * lists and composite types lose their `elements:` (both optional fields).
 * `llvm-as-14` accepts the result.
 */
export function clang14Slice(text: string, budget = 30_000): string {
  const lines = text.split('\n');
  const header: string[] = [];
  const types: string[] = [];
  const moduleAsm: string[] = [];
  const attributes: string[] = [];
  const named: string[] = [];
  const md = new Map<string, string>(); // "!12" -> line
  const globals = new Map<string, string>(); // "@x" -> line (variables and aliases)
  const declares = new Map<string, string>();
  const defines = new Map<string, { header: string; body: string[] }>();
  const order: string[] = [];
  const gname = /^(@(?:"[^"]*"|[-\w.$]+))/;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith('define ')) {
      const name = /@(?:"[^"]*"|[-\w.$]+)(?=\()/.exec(l)![0];
      const body: string[] = [l];
      while (i + 1 < lines.length && lines[i] !== '}') body.push(lines[++i]!);
      defines.set(name, { header: l, body });
      order.push(name);
    } else if (l.startsWith('declare ')) declares.set(/@(?:"[^"]*"|[-\w.$]+)(?=\()/.exec(l)![0], l);
    else if (l.startsWith('%')) types.push(l);
    else if (l.startsWith('@')) globals.set(gname.exec(l)![1]!, l);
    else if (l.startsWith('module asm')) moduleAsm.push(l);
    else if (l.startsWith('attributes #')) attributes.push(l);
    else if (/^!\d+ = /.test(l)) md.set(l.slice(0, l.indexOf(' ')), l);
    else if (/^![-\w.$]+ = /.test(l)) named.push(l);
    else if (types.length === 0 && globals.size === 0 && defines.size === 0 && !l.startsWith(';')) header.push(l);
  }
  // the functions kept whole
  const kept: string[] = [];
  let bytes = 0;
  for (const name of order) {
    const f = defines.get(name)!;
    const size = f.body.reduce((a, l) => a + l.length + 1, 0);
    if (bytes > 0 && bytes + size > budget) continue;
    kept.push(name);
    bytes += size;
    if (bytes >= budget) break;
  }
  const keptSet = new Set(kept);
  // closure over global names
  const out = { globals: [] as string[], decls: [] as string[] };
  const seen = new Set<string>(kept);
  const work: string[] = [];
  const refs = (l: string) => {
    for (const m of l.matchAll(/@(?:"[^"]*"|[-\w.$]+)/g))
      if (!seen.has(m[0])) {
        seen.add(m[0]);
        work.push(m[0]);
      }
  };
  for (const n of kept) for (const l of defines.get(n)!.body) refs(l);
  while (work.length) {
    const n = work.pop()!;
    const g = globals.get(n);
    if (g !== undefined) {
      out.globals.push(g);
      refs(g);
      continue;
    }
    const d = declares.get(n);
    if (d !== undefined) {
      out.decls.push(d);
      continue;
    }
    const f = defines.get(n);
    if (f !== undefined && !keptSet.has(n)) {
      // define [linkage…] RET @name(PARAMS) … {  ->  declare RET @name(PARAM TYPES)
      const h = f.header;
      const at = h.indexOf(`${n}(`);
      let depth = 0;
      let j = at + n.length;
      for (; j < h.length; j++) {
        if (h[j] === '(') depth++;
        else if (h[j] === ')' && --depth === 0) break;
      }
      const params = h.slice(at + n.length, j + 1).replace(/ %[-\w.$]+(?=[,)])/g, '');
      const ret = h
        .slice('define '.length, at)
        .replace(
          /\b(internal|private|dso_local|hidden|protected|fastcc|noundef|zeroext|signext|noalias|nonnull|weak|linkonce_odr|available_externally|unnamed_addr|local_unnamed_addr)\b/g,
          '',
        )
        .trim();
      out.decls.push(`declare ${ret} ${n}${params}`);
    }
  }
  // named types: a body for those used by value (GEP/load/store/alloca operands, by-value
  // members, …), `type opaque` for those only reached through pointers
  const typeDefs = new Map<string, string>();
  for (const l of types) typeDefs.set(l.slice(0, l.indexOf(' = ')), l);
  const typeRe = /%(?:"[^"]*"|[-\w.$]+)(\**)/g;
  const needBody = new Set<string>();
  const referenced = new Set<string>();
  const typeWork: string[] = [];
  const typeRefs = (l: string) => {
    for (const m of l.matchAll(typeRe)) {
      const name = m[0].slice(0, m[0].length - m[1]!.length);
      if (!typeDefs.has(name)) continue;
      referenced.add(name);
      if (m[1] === '' && !needBody.has(name)) {
        needBody.add(name);
        typeWork.push(name);
      }
    }
  };
  for (const l of [...kept.flatMap((n) => defines.get(n)!.body), ...out.globals, ...out.decls]) typeRefs(l);
  while (typeWork.length) {
    const t = typeWork.pop()!;
    const l = typeDefs.get(t)!;
    typeRefs(l.slice(l.indexOf(' = ')));
  }
  const typeOut = types
    .map((l) => l.slice(0, l.indexOf(' = ')))
    .filter((n) => referenced.has(n))
    .map((n) => (needBody.has(n) ? typeDefs.get(n)! : `${n} = type opaque`));

  // metadata closure, with the two size-cutting rewrites
  const rewrite = (l: string) =>
    l.includes('!DICompileUnit(')
      ? l.replace(/(enums|retainedTypes|globals|imports): !\d+, /g, '')
      : l.includes('!DICompositeType(')
        ? l.replace(/, elements: !\d+/, '')
        : l;
  const body = [...kept.flatMap((n) => defines.get(n)!.body), ...out.globals, ...out.decls, ...named];
  const mdSeen = new Set<string>();
  const mdWork: string[] = [];
  const mdRefs = (l: string) => {
    for (const m of l.matchAll(/!\d+\b/g))
      if (!mdSeen.has(m[0])) {
        mdSeen.add(m[0]);
        mdWork.push(m[0]);
      }
  };
  for (const l of body) mdRefs(l);
  const mdOut: string[] = [];
  while (mdWork.length) {
    const id = mdWork.pop()!;
    const l = md.get(id);
    if (l === undefined) continue;
    const r = rewrite(l);
    mdOut.push(r);
    mdRefs(r.slice(r.indexOf(' = ')));
  }
  mdOut.sort((a, b) => Number.parseInt(a.slice(1), 10) - Number.parseInt(b.slice(1), 10));
  return [
    ...header,
    ...moduleAsm,
    '',
    ...typeOut,
    '',
    ...out.globals.sort(),
    '',
    ...kept.flatMap((n) => [...defines.get(n)!.body, '']),
    ...out.decls.sort(),
    '',
    ...attributes,
    '',
    ...named,
    '',
    ...mdOut,
    '',
  ].join('\n');
}

function clang14Seed(corpus: string): { origin: string; bytes: Buffer } {
  const p = join(corpus, 'linux-6.1-clang14', 'net', 'ipv6', 'ip6_fib.ll');
  return { origin: `${p} (self-contained slice)`, bytes: Buffer.from(clang14Slice(readFileSync(p, 'latin1')), 'latin1') };
}

const SEEDS: SeedSpec[] = [
  { id: 'minicompart', small: true, load: file((root) => join(root, 'examples', 'data', 'minicompart.ll')) },
  { id: 'netevent', small: true, load: file((_r, c) => join(c, 'linux-6.1', 'net', 'core', 'netevent.ll')) },
  { id: 'rpl', small: true, load: file((_r, c) => join(c, 'linux-6.1', 'net', 'ipv6', 'rpl.ll')) },
  { id: 'clang14-slice', small: true, load: (_r, c) => clang14Seed(c) },
  { id: 'gen_estimator', small: false, load: file((_r, c) => join(c, 'linux-6.1', 'net', 'core', 'gen_estimator.ll')) },
];

export const SEED_IDS: readonly string[] = SEEDS.map((s) => s.id);
export const SMALL_SEED_IDS: readonly string[] = SEEDS.filter((s) => s.small).map((s) => s.id);

/** Loads the named seeds (all small ones by default). Throws if a file is missing. */
export function loadSeeds(ids: readonly string[] = SMALL_SEED_IDS, root = repoRoot()): Seed[] {
  const corpus = corpusDir(root);
  return ids.map((id) => {
    const spec = SEEDS.find((s) => s.id === id);
    if (!spec) throw new Error(`unknown fuzz seed "${id}" (known: ${SEED_IDS.join(', ')})`);
    let loaded: { origin: string; bytes: Buffer };
    try {
      loaded = spec.load(root, corpus);
    } catch (e) {
      throw new Error(`cannot load fuzz seed "${id}" (corpus dir ${corpus}; set KCOMPART_CORPUS to override): ${(e as Error).message}`);
    }
    const { origin, bytes } = loaded;
    return { id, origin, text: bytes.toString('latin1') };
  });
}

// ---------------------------------------------------------------------------
// running one case

/** The subset of src/index.ts the harness needs. */
export interface ParserApi {
  parseModule(source: string | Uint8Array, options?: { filename?: string }): unknown;
  ParseError: abstract new (...args: never[]) => Error;
}

export interface CaseSpec {
  seed: number;
  index: number;
  seedFile: Seed;
  mutated: Mutated;
  /** the input handed to the parser */
  input: Uint8Array | string;
  filename: string;
  /** how to re-run just this case (default: the fuzz:long command line for makeCase cases) */
  reproduce?: string;
}

export type Outcome =
  | { kind: 'module'; ms: number }
  | { kind: 'parse-error'; ms: number; line: number; column: number }
  | { kind: 'failure'; ms: number; reason: string };

/** Builds case `index` of run `seed` over `seeds` (deterministic). */
export function makeCase(seed: number, index: number, seeds: readonly Seed[]): CaseSpec {
  const rng = new Rng(caseSeed(seed, index));
  const seedFile = seeds.length === 1 ? seeds[0]! : rng.pick(seeds);
  const mutated = mutate(seedFile.text, rng);
  const bytes = Buffer.from(mutated.text, 'latin1');
  // mostly bytes (what the byte-level lexer sees); sometimes a JS string, decoded as UTF-8
  // like a caller that read the file as text would (invalid sequences become U+FFFD)
  const input: Uint8Array | string = rng.chance(0.25) ? bytes.toString('utf8') : new Uint8Array(bytes);
  const reproduce =
    `npm run build && npm run fuzz:long -- --seed 0x${seed.toString(16)} --from ${index} --cases 1 ` +
    `--files ${seeds.map((s) => s.id).join(',')}`;
  return { seed, index, seedFile, mutated, input, filename: `fuzz/${seedFile.id}-${index}.ll`, reproduce };
}

function countLines(input: Uint8Array | string): { lines: number; length: number; byteLength: number } {
  let lines = 1;
  if (typeof input === 'string') {
    for (let i = 0; i < input.length; i++) if (input.charCodeAt(i) === 10) lines++;
    return { lines, length: input.length, byteLength: Buffer.byteLength(input, 'utf8') };
  }
  for (let i = 0; i < input.length; i++) if (input[i] === 10) lines++;
  return { lines, length: input.length, byteLength: input.length };
}

function describeError(e: unknown): string {
  if (e instanceof Error) {
    const stack = (e.stack ?? `${e.name}: ${e.message}`).split('\n').slice(0, 8).join('\n    ');
    const ctor = (e.constructor as { name?: string } | undefined)?.name;
    return ctor && !stack.startsWith(ctor) ? `[${ctor}] ${stack}` : stack;
  }
  return `non-Error thrown: ${typeof e} ${String(e).slice(0, 200)}`;
}

/** Checks the fields of a ParseError against the input; returns a reason or null. */
export function checkParseError(e: Error, c: CaseSpec): string | null {
  const pe = e as Error & Record<string, unknown>;
  const { lines, length, byteLength } = countLines(c.input);
  const problems: string[] = [];
  const int = (k: string) => typeof pe[k] === 'number' && Number.isInteger(pe[k]);
  for (const k of ['line', 'column', 'offset']) if (!int(k)) problems.push(`${k} is not an integer (${String(pe[k])})`);
  for (const k of ['file', 'token', 'expected']) if (typeof pe[k] !== 'string') problems.push(`${k} is not a string`);
  if (int('line')) {
    const line = pe['line'] as number;
    if (line < 1 || line > lines + 1) problems.push(`line ${line} outside 1..${lines + 1}`);
  }
  if (int('column') && (pe['column'] as number) < 1) problems.push(`column ${String(pe['column'])} < 1`);
  if (int('offset')) {
    const off = pe['offset'] as number;
    if (off < 0 || off > Math.max(length, byteLength)) problems.push(`offset ${off} outside 0..${Math.max(length, byteLength)}`);
  }
  if (typeof pe['file'] === 'string' && pe['file'] !== c.filename)
    problems.push(`file ${JSON.stringify(pe['file'])} != ${JSON.stringify(c.filename)}`);
  if (typeof e.message !== 'string' || e.message.length === 0) problems.push('empty message');
  return problems.length ? `ParseError with bad fields: ${problems.join('; ')} — ${e.message.slice(0, 300)}` : null;
}

/** Runs one case: the parser must return an object or throw a well-formed ParseError. */
export function runCase(api: ParserApi, c: CaseSpec, slowMs = Number.POSITIVE_INFINITY, watchdog?: Watchdog): Outcome {
  watchdog?.begin(describeCase(c));
  const t0 = performance.now();
  let result: unknown;
  try {
    result = api.parseModule(c.input, { filename: c.filename });
  } catch (e) {
    watchdog?.end();
    const ms = performance.now() - t0;
    if (e instanceof api.ParseError) {
      const bad = checkParseError(e, c);
      if (bad) return { kind: 'failure', ms, reason: bad };
      if (ms > slowMs) return { kind: 'failure', ms, reason: `too slow: ${ms.toFixed(0)} ms (limit ${slowMs} ms) before ParseError` };
      const pe = e as Error & { line: number; column: number };
      return { kind: 'parse-error', ms, line: pe.line, column: pe.column };
    }
    return { kind: 'failure', ms, reason: `unexpected exception (not ParseError): ${describeError(e)}` };
  }
  watchdog?.end();
  const ms = performance.now() - t0;
  if (typeof result !== 'object' || result === null)
    return { kind: 'failure', ms, reason: `parseModule returned ${result === null ? 'null' : typeof result}` };
  if (ms > slowMs) return { kind: 'failure', ms, reason: `too slow: ${ms.toFixed(0)} ms (limit ${slowMs} ms)` };
  return { kind: 'module', ms };
}

/** Multi-line description of a case (seed, index, file, mutations, how to reproduce). */
export function describeCase(c: CaseSpec, reason?: string, savedTo?: string): string {
  const seedHex = `0x${c.seed.toString(16)}`;
  return [
    `seed=${seedHex} case=${c.index} file=${c.seedFile.id} (${c.seedFile.origin})`,
    `  input: ${typeof c.input === 'string' ? 'JS string' : 'bytes'}, length ${c.input.length}`,
    `  mutations: ${c.mutated.steps.join(' | ')}`,
    reason ? `  ${reason}` : '',
    savedTo ? `  input saved to ${savedTo}` : '',
    `  reproduce: ${c.reproduce ?? 're-run the test that generated it (a hand-made case)'}`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** One-paragraph description of a failing case, with how to reproduce it. */
export function describeFailure(c: CaseSpec, o: Outcome & { kind: 'failure' }, savedTo?: string): string {
  return `fuzz failure: ${describeCase(c, o.reason, savedTo)}`;
}

/** Writes a failing input to .cache/fuzz-failures/ and returns the path (best effort). */
export function saveFailure(c: CaseSpec, root = repoRoot()): string | undefined {
  try {
    const dir = join(root, '.cache', 'fuzz-failures');
    mkdirSync(dir, { recursive: true });
    const p = join(dir, `seed-${c.seed.toString(16)}-case-${c.index}-${c.seedFile.id}.ll`);
    writeFileSync(p, typeof c.input === 'string' ? Buffer.from(c.input, 'utf8') : c.input);
    return p;
  } catch {
    return undefined;
  }
}
