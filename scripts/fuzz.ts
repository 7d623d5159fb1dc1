// Owns the long-running parser fuzzer (`npm run fuzz:long -- --cases N --seed S`):
// the same mutator and property as test/fuzz.test.ts (scripts/lib/), run for
// as many cases as asked, with progress, a final summary, and exit status 1 on
// any failure. Failing inputs are saved under .cache/fuzz-failures/.

import { parseModule, ParseError } from '../src/index.js';
import { describeFailure, loadSeeds, makeCase, runCase, saveFailure, SEED_IDS, type ParserApi } from './lib/fuzz.js';
import { parseSeed } from './lib/mutate.js';
import { startWatchdog } from './lib/watchdog.js';
import { scriptOptions } from './lib/args.js';

const USAGE = `usage: npm run fuzz:long -- [--cases N] [--seed S] [--from I] [--files a,b,…] [--slow-ms MS] [--hang-ms MS] [--max-failures K] [--quiet]
  --cases N         number of cases (default 100000)
  --seed S          run seed, decimal or 0x-hex (default: random, printed)
  --from I          index of the first case (default 0); with --cases 1 reproduces one case
  --files a,b       seed files (default all: ${SEED_IDS.join(',')})
  --slow-ms MS      a case that takes longer than this is a failure (default 10000)
  --hang-ms MS      a case still running after this kills the run, printing the case (default 60000)
  --max-failures K  stop after K failures (default 20)
  --quiet           no progress lines`;

async function main(): Promise<number> {
  const values = scriptOptions(
    {
      cases: { type: 'string', default: '100000' },
      seed: { type: 'string' },
      from: { type: 'string', default: '0' },
      files: { type: 'string' },
      'slow-ms': { type: 'string', default: '10000' },
      'hang-ms': { type: 'string', default: '60000' },
      'max-failures': { type: 'string', default: '20' },
      quiet: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (typeof values === 'number') return values;
  const cases = Number.parseInt(values.cases, 10);
  const from = Number.parseInt(values.from, 10);
  const slowMs = Number.parseInt(values['slow-ms'], 10);
  const maxFailures = Number.parseInt(values['max-failures'], 10);
  const hangMs = Number.parseInt(values['hang-ms'], 10);
  if (![cases, from, slowMs, maxFailures, hangMs].every((n) => Number.isInteger(n) && n >= 0)) {
    console.error(USAGE);
    return 2;
  }
  const seed = values.seed !== undefined ? parseSeed(values.seed) : (Math.random() * 2 ** 32) >>> 0;
  const ids = values.files
    ? values.files
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : SEED_IDS;
  const seeds = loadSeeds(ids);
  const api: ParserApi = { parseModule, ParseError };

  console.log(
    `fuzz: seed=0x${seed.toString(16)} cases=${cases} from=${from} files=${seeds.map((s) => `${s.id}(${s.text.length} B)`).join(',')}`,
  );
  const watchdog = startWatchdog(hangMs);
  const t0 = performance.now();
  let lastReport = t0;
  let modules = 0;
  let parseErrors = 0;
  let failures = 0;
  let slowest = 0;
  let done = 0;
  for (let i = from; i < from + cases; i++) {
    const c = makeCase(seed, i, seeds);
    const o = runCase(api, c, slowMs, watchdog);
    done++;
    slowest = Math.max(slowest, o.ms);
    if (o.kind === 'module') modules++;
    else if (o.kind === 'parse-error') parseErrors++;
    else {
      failures++;
      console.error(describeFailure(c, o, saveFailure(c)));
      if (failures >= maxFailures) {
        console.error(`stopping after ${failures} failures`);
        break;
      }
    }
    const now = performance.now();
    if (!values.quiet && now - lastReport > 5000) {
      lastReport = now;
      const rate = done / ((now - t0) / 1000);
      console.log(
        `  ${done}/${cases} cases  ${rate.toFixed(0)}/s  modules=${modules} parseErrors=${parseErrors} failures=${failures}  ` +
          `rss=${(process.memoryUsage.rss() / 1e6).toFixed(0)} MB`,
      );
    }
  }
  const secs = (performance.now() - t0) / 1000;
  await watchdog.stop();
  const summary = {
    seed: `0x${seed.toString(16)}`,
    from,
    cases: done,
    modules,
    parseErrors,
    failures,
    seconds: Number(secs.toFixed(2)),
    casesPerSecond: Number((done / Math.max(secs, 1e-9)).toFixed(1)),
    slowestCaseMs: Number(slowest.toFixed(1)),
  };
  console.log(`fuzz summary: ${JSON.stringify(summary)}`);
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main();
