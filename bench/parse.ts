// Owns the parse-speed benchmark (`npm run bench:parse [-- --json]`):
// parseModule over every ../shared/corpus/linux-6.1/net/ipv6/*.ll, held in
// memory, against `llvm-as-19 -disable-verify` on the same files (DESIGN.md §2
// "The benchmark compares against llvm-as on the same files").

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { corpusDir, repoRoot } from '../scripts/lib/paths.js';
import { parseModule } from '../src/index.js';
import { scriptOptions } from '../scripts/lib/args.js';

const USAGE = `usage: npm run bench:parse -- [--json] [--dir DIR] [--llvm-as BIN] [--skip-llvm-as] [--limit N] [--string]
  --json          print one JSON object instead of the table
  --dir DIR       directory of .ll files (default ../shared/corpus/linux-6.1/net/ipv6;
                  KCOMPART_CORPUS overrides the corpus root)
  --llvm-as BIN   llvm-as binary (default llvm-as-19)
  --skip-llvm-as  only time our parser
  --limit N       only the first N files (sorted by name)
  --string        hand parseModule JS strings instead of bytes`;

const MB = 1e6;
const nsToS = (ns: bigint) => Number(ns) / 1e9;

function main(): number {
  const values = scriptOptions(
    {
      json: { type: 'boolean', default: false },
      dir: { type: 'string' },
      'llvm-as': { type: 'string', default: 'llvm-as-19' },
      'skip-llvm-as': { type: 'boolean', default: false },
      limit: { type: 'string' },
      string: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (typeof values === 'number') return values;
  const root = repoRoot();
  const dir = values.dir !== undefined ? resolve(values.dir) : join(corpusDir(root), 'linux-6.1', 'net', 'ipv6');
  let names = readdirSync(dir)
    .filter((n) => n.endsWith('.ll'))
    .sort();
  if (values.limit !== undefined) names = names.slice(0, Number.parseInt(values.limit, 10));
  if (names.length === 0) {
    console.error(`no .ll files in ${dir}`);
    return 1;
  }
  const paths = names.map((n) => join(dir, n));

  // 1. read everything first, so only parsing is timed
  const bytes = paths.map((p) => readFileSync(p));
  const inputs: Array<Uint8Array | string> = values.string ? bytes.map((b) => b.toString('utf8')) : bytes;
  const totalBytes = bytes.reduce((a, b) => a + b.length, 0);

  let peakRss = process.memoryUsage.rss();
  const sample = () => {
    const r = process.memoryUsage.rss();
    if (r > peakRss) peakRss = r;
  };

  // 2. warm-up: a couple of files (the smallest two, plus one mid-sized), not timed
  const bySize = [...inputs.keys()].sort((a, b) => bytes[a]!.length - bytes[b]!.length);
  for (const i of [bySize[0]!, bySize[Math.floor(bySize.length / 2)]!].slice(0, Math.min(2, bySize.length))) {
    parseModule(inputs[i]!, { filename: paths[i]! });
  }
  sample();

  // 3. the timed pass
  const perFile: Array<{ file: string; bytes: number; oursMs: number; llvmAsMs?: number }> = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < inputs.length; i++) {
    const f0 = process.hrtime.bigint();
    const m = parseModule(inputs[i]!, { filename: paths[i]! });
    const f1 = process.hrtime.bigint();
    sample();
    if (typeof m !== 'object' || m === null) throw new Error(`parseModule returned ${typeof m} for ${paths[i]}`);
    perFile.push({ file: names[i]!, bytes: bytes[i]!.length, oursMs: Number(f1 - f0) / 1e6 });
  }
  const oursS = nsToS(process.hrtime.bigint() - t0);
  sample();
  const maxRssKb = process.resourceUsage().maxRSS;

  // 4. llvm-as on the same files, sequentially
  let llvmAsS: number | undefined;
  let llvmAsVersion: string | undefined;
  if (!values['skip-llvm-as']) {
    const bin = values['llvm-as'];
    const v = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (v.error || v.status !== 0) {
      console.error(`cannot run ${bin}: ${v.error?.message ?? v.stderr}`);
      return 1;
    }
    llvmAsVersion = /version\s+([\d.]+)/.exec(v.stdout)?.[1];
    let sum = 0n;
    for (let i = 0; i < paths.length; i++) {
      const a = process.hrtime.bigint();
      const r = spawnSync(bin, ['-disable-verify', '-o', '/dev/null', paths[i]!], { encoding: 'utf8' });
      const b = process.hrtime.bigint();
      if (r.status !== 0) {
        console.error(`${bin} failed on ${paths[i]}: ${r.stderr}`);
        return 1;
      }
      sum += b - a;
      perFile[i]!.llvmAsMs = Number(b - a) / 1e6;
    }
    llvmAsS = nsToS(sum);
  }

  const mb = totalBytes / MB;
  const result = {
    dir,
    files: paths.length,
    totalMB: Number(mb.toFixed(3)),
    input: values.string ? 'string' : 'bytes',
    ours: { seconds: Number(oursS.toFixed(4)), MBps: Number((mb / oursS).toFixed(2)) },
    llvmAs:
      llvmAsS === undefined
        ? null
        : {
            binary: values['llvm-as'],
            version: llvmAsVersion ?? null,
            seconds: Number(llvmAsS.toFixed(4)),
            MBps: Number((mb / llvmAsS).toFixed(2)),
          },
    /** throughput ours / llvm-as: > 1 means we parse faster than llvm-as */
    speedRatio: llvmAsS === undefined ? null : Number((llvmAsS / oursS).toFixed(3)),
    /** wall time ours / llvm-as: < 1 means we take less time */
    timeRatio: llvmAsS === undefined ? null : Number((oursS / llvmAsS).toFixed(3)),
    memory: {
      peakRssSampledMB: Number((peakRss / MB).toFixed(1)),
      maxRssMB: Number(((maxRssKb * 1024) / MB).toFixed(1)),
      inputHeldMB: Number(mb.toFixed(1)),
    },
    node: process.version,
    perFile,
  };

  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`kcompart parse benchmark: ${result.files} files, ${mb.toFixed(2)} MB (${dir})`);
  console.log(`  ${pad('parser', 28)} ${pad('seconds', 10)} MB/s`);
  console.log(`  ${pad(`kcompart parseModule (${result.input})`, 28)} ${pad(oursS.toFixed(3), 10)} ${result.ours.MBps}`);
  if (result.llvmAs) {
    console.log(
      `  ${pad(`${result.llvmAs.binary} -disable-verify`, 28)} ${pad(result.llvmAs.seconds.toFixed(3), 10)} ${result.llvmAs.MBps}`,
    );
    console.log(
      `  ratio ours/llvm-as: throughput ${result.speedRatio}x (time ${result.timeRatio}x; llvm-as time includes process start-up and bitcode writing)`,
    );
  }
  console.log(
    `  memory: peak RSS sampled ${result.memory.peakRssSampledMB} MB, maxRSS ${result.memory.maxRssMB} MB ` +
      `(includes ${result.memory.inputHeldMB} MB of input held in memory)`,
  );
  return 0;
}

process.exitCode = main();
