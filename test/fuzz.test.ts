// Owns the parser robustness property test (DESIGN.md §2: "a ParseError
// carrying file, line, column and the offending text. Never a hang, never an
// unrelated exception, on any input"): seeded mutations of small real kernel
// IR files (scripts/lib/mutate.ts) must either parse to an object or throw a
// ParseError whose position lies inside the mutated input.
//
// Knobs (environment): KCOMPART_FUZZ_SEED (decimal or 0x-hex, default fixed),
// KCOMPART_FUZZ_CASES (cases per seed file, default 2500),
// KCOMPART_FUZZ_BUDGET_MS (wall-clock budget per seed file, default 10000;
// a file that runs out of budget stops early and logs how many cases ran),
// KCOMPART_FUZZ_HANG_MS (one parse running longer kills the run, default 60000).
// Longer runs: npm run fuzz:long -- --cases 100000 --seed N

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkParseError,
  describeFailure,
  loadSeeds,
  makeCase,
  runCase,
  saveFailure,
  SMALL_SEED_IDS,
  type CaseSpec,
  type Outcome,
  type ParserApi,
  type Seed,
} from '../scripts/lib/fuzz.js';
import { caseSeed, MUTATORS, mutate, mutateWith, parseSeed, Rng } from '../scripts/lib/mutate.js';
import { startWatchdog, type Watchdog } from '../scripts/lib/watchdog.js';

const SEED = parseSeed(process.env['KCOMPART_FUZZ_SEED'] ?? '0x6b636d70');
const CASES_PER_FILE = Number.parseInt(process.env['KCOMPART_FUZZ_CASES'] ?? '2500', 10);
const BUDGET_MS = Number.parseInt(process.env['KCOMPART_FUZZ_BUDGET_MS'] ?? '10000', 10);
/** a single case slower than this is a failure (reported after it returns) */
const SLOW_MS = 5000;
/** a single case still running after this kills the test process, printing the case */
const HANG_MS = Number.parseInt(process.env['KCOMPART_FUZZ_HANG_MS'] ?? '60000', 10);
const MAX_REPORTED = 10;

const seeds: Seed[] = loadSeeds(SMALL_SEED_IDS);

let api: ParserApi;
let watchdog: Watchdog | undefined;

function check(cases: Iterable<CaseSpec>, budgetMs = Number.POSITIVE_INFINITY) {
  const failures: string[] = [];
  const stats = { cases: 0, modules: 0, parseErrors: 0, failures: 0 };
  const t0 = performance.now();
  for (const c of cases) {
    const o: Outcome = runCase(api, c, SLOW_MS, watchdog);
    stats.cases++;
    if (o.kind === 'module') stats.modules++;
    else if (o.kind === 'parse-error') stats.parseErrors++;
    else {
      stats.failures++;
      if (failures.length < MAX_REPORTED) failures.push(describeFailure(c, o, saveFailure(c)));
    }
    if (performance.now() - t0 > budgetMs) break;
  }
  return { failures, stats, ms: performance.now() - t0 };
}

function* randomCases(seed: Seed, n: number, indexBase: number): Generator<CaseSpec> {
  for (let i = 0; i < n; i++) yield makeCase(SEED, indexBase + i, [seed]);
}

describe('fuzz harness (no parser needed)', () => {
  it('seed files load and are non-trivial', () => {
    expect(seeds.map((s) => s.id)).toEqual([...SMALL_SEED_IDS]);
    for (const s of seeds) {
      expect(s.text.length, s.id).toBeGreaterThan(5_000);
      expect(s.text.length, s.id).toBeLessThan(120_000);
      expect(s.text, s.id).toMatch(/^define /m);
    }
    const c14 = seeds.find((s) => s.id === 'clang14-slice')!;
    expect(c14.text).toMatch(/%struct\.[\w.]+\*/); // typed pointers
    expect(c14.text).toMatch(/call void @llvm\.dbg\.value\(metadata/);
  });

  it('is deterministic per (seed, case index)', () => {
    const a = makeCase(SEED, 17, seeds);
    const b = makeCase(SEED, 17, seeds);
    expect(b.mutated).toEqual(a.mutated);
    expect(b.seedFile.id).toBe(a.seedFile.id);
    expect(caseSeed(SEED, 1)).not.toBe(caseSeed(SEED, 2));
  });

  it('every mutator runs and usually changes the input', () => {
    const s = seeds[0]!.text;
    for (const [name] of MUTATORS) {
      let changed = 0;
      for (let i = 0; i < 20; i++) {
        const m = mutateWith(name, s, new Rng(caseSeed(SEED, i)));
        expect(m.steps).toHaveLength(1);
        if (m.text !== s) changed++;
      }
      expect(changed, name).toBeGreaterThan(10);
    }
    const m = mutate(s, new Rng(1));
    expect(m.steps.length).toBeGreaterThanOrEqual(1);
  });

  it('flags ParseErrors whose position lies outside the input', () => {
    const c = makeCase(SEED, 3, seeds);
    const mk = (f: Record<string, unknown>) =>
      Object.assign(new Error('x'), { file: c.filename, token: 't', expected: 'e', line: 1, column: 1, offset: 0, ...f });
    expect(checkParseError(mk({}), c)).toBeNull();
    expect(checkParseError(mk({ line: 0 }), c)).toMatch(/line 0/);
    expect(checkParseError(mk({ line: 10_000_000 }), c)).toMatch(/line/);
    expect(checkParseError(mk({ column: 0 }), c)).toMatch(/column/);
    expect(checkParseError(mk({ offset: 1e9 }), c)).toMatch(/offset/);
    expect(checkParseError(mk({ line: 1.5 }), c)).toMatch(/integer/);
    expect(checkParseError(mk({ file: 'other.ll' }), c)).toMatch(/file/);
  });
});

describe('parser robustness under mutation', () => {
  beforeAll(async () => {
    // imported here so the harness self-tests above run even while src/ is incomplete
    const m = await import('../src/index.js');
    api = { parseModule: m.parseModule, ParseError: m.ParseError };
    watchdog = startWatchdog(HANG_MS);
  });
  afterAll(async () => {
    await watchdog?.stop();
  });

  it('every seed file parses unmutated (so mutations start from valid IR)', () => {
    for (const s of seeds) {
      const m = api.parseModule(new Uint8Array(Buffer.from(s.text, 'latin1')), { filename: s.id });
      expect(typeof m, s.id).toBe('object');
    }
  });

  for (const id of SMALL_SEED_IDS) {
    it(`random mutations of ${id} (seed 0x${SEED.toString(16)})`, () => {
      const seed = seeds.find((s) => s.id === id)!;
      // each file gets its own disjoint range of case indices
      const base = SMALL_SEED_IDS.indexOf(id) * 1_000_000;
      const r = check(randomCases(seed, CASES_PER_FILE, base), BUDGET_MS);
      console.log(`fuzz ${id}: ${JSON.stringify(r.stats)} in ${(r.ms / 1000).toFixed(1)} s (seed 0x${SEED.toString(16)})`);
      expect(r.failures, `seed 0x${SEED.toString(16)}\n${r.failures.join('\n\n')}`).toEqual([]);
      expect(r.stats.cases).toBeGreaterThan(Math.min(CASES_PER_FILE, 50));
    });
  }

  it('every mutator, on every seed file', () => {
    function* cases(): Generator<CaseSpec> {
      let index = 9_000_000;
      for (const seed of seeds)
        for (const [name] of MUTATORS)
          for (let k = 0; k < 8; k++, index++) {
            const mutated = mutateWith(name, seed.text, new Rng(caseSeed(SEED, index)));
            const bytes = Buffer.from(mutated.text, 'latin1');
            yield { seed: SEED, index, seedFile: seed, mutated, input: new Uint8Array(bytes), filename: `fuzz/${seed.id}-${index}.ll` };
          }
    }
    const r = check(cases());
    expect(r.failures, r.failures.join('\n\n')).toEqual([]);
  });

  it('pathological inputs: empty, garbage, deep nesting, unterminated', () => {
    const base = seeds[0]!.text;
    const firstGlobal = base.indexOf('\n@') + 1;
    const afterEq = base.indexOf(' = ', firstGlobal) + 3;
    const texts: Array<[string, string]> = [
      ['empty', ''],
      ['newline', '\n'],
      ['nul', '\0'],
      ['bom', '\xef\xbb\xbf'],
      ['bom+module', `\xef\xbb\xbf${base}`],
      ['crlf', base.replace(/\n/g, '\r\n')],
      ['all-ff', '\xff'.repeat(4096)],
      ['10000 [', '['.repeat(10_000)],
      ['10000 !{', '!{'.repeat(10_000)],
      ['10000 {', '{'.repeat(10_000)],
      ['10000 (', '('.repeat(10_000)],
      ['10000 <', '<'.repeat(10_000)],
      ['global = 10000 [', `${base.slice(0, afterEq)}${'['.repeat(10_000)}${base.slice(afterEq)}`],
      ['md 10000 !{ unbalanced', `${base}\n!99999 = !{${'!{'.repeat(10_000)}\n`],
      ['md 10000 !{ balanced', `${base}\n!99999 = !{${'!{'.repeat(10_000)}${'}'.repeat(10_000)}}\n`],
      ['type 10000 { balanced', `${base}\n%deep = type ${'{ '.repeat(10_000)}i8${' }'.repeat(10_000)}\n`],
      ['array 10000 balanced', `${base}\n@deep = global ${'[1 x '.repeat(10_000)}i8${']'.repeat(10_000)} zeroinitializer\n`],
      ['constexpr 10000', `${base}\n@deep = global ptr ${'getelementptr (i8, ptr '.repeat(10_000)}null${', i64 1)'.repeat(10_000)}\n`],
      ['100000 [', '['.repeat(100_000)],
      ['unterminated string', `${base.slice(0, afterEq)}c"${base.slice(afterEq)}`],
      ['unterminated quoted name', `@"${base}`],
      ['lone !', `${base}\n!`],
      ['lone %', '%'],
      ['lone @', '@'],
      ['lone #', '#'],
      ['lone $', '$'],
      ['huge int', `@x = global i64 ${'9'.repeat(100_000)}\n`],
      ['huge int type', '@x = global i8388609 0\n'],
      ['huge array count', '@x = global [99999999999999999999 x i8] zeroinitializer\n'],
      ['huge md id', `!${'9'.repeat(40)} = !{}\n`],
      ['long line', `; ${'x'.repeat(1_000_000)}`],
    ];
    function* cases(): Generator<CaseSpec> {
      let index = 8_000_000;
      for (const [name, text] of texts) {
        const bytes = Buffer.from(text, 'latin1');
        for (const input of [new Uint8Array(bytes), bytes.toString('utf8')])
          yield {
            seed: SEED,
            index: index++,
            seedFile: seeds[0]!,
            mutated: { text, steps: [`fixed: ${name}`] },
            input,
            filename: `fuzz/fixed-${index}.ll`,
          };
      }
    }
    const r = check(cases());
    expect(r.failures, r.failures.join('\n\n')).toEqual([]);
  });
});
