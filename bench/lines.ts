// Owns the line-table benchmark (`npm run bench:lines [-- --json]`): readElf +
// readLineTable over every ../shared/corpus/linux-6.1/net/ipv6/*.o held in
// memory, against `llvm-dwarfdump-19 --debug-line` on the same files run
// sequentially (output discarded), as issue 4 asks ("decoding all line tables
// of the corpus objects, side by side with llvm-dwarfdump-19 --debug-line").

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { corpusDir, repoRoot } from '../scripts/lib/paths.js';
import { readElf, readLineTable } from '../src/binary/index.js';
import { scriptOptions } from '../scripts/lib/args.js';

const USAGE = `usage: npm run bench:lines -- [--json] [--dir DIR] [--dwarfdump BIN] [--skip-dwarfdump] [--runs N]
  --json            print one JSON object instead of the table
  --dir DIR         directory of .o files (default ../shared/corpus/linux-6.1/net/ipv6;
                    KCOMPART_CORPUS overrides the corpus root)
  --dwarfdump BIN   llvm-dwarfdump binary (default llvm-dwarfdump-19)
  --skip-dwarfdump  only time our decoder
  --runs N          timed passes over all files for each side; the fastest counts (default 3)`;

const MB = 1e6;

function main(): number {
  const values = scriptOptions(
    {
      json: { type: 'boolean', default: false },
      dir: { type: 'string' },
      dwarfdump: { type: 'string', default: 'llvm-dwarfdump-19' },
      'skip-dwarfdump': { type: 'boolean', default: false },
      runs: { type: 'string', default: '3' },
    },
    USAGE,
  );
  if (typeof values === 'number') return values;
  const runs = Math.max(1, Number.parseInt(values.runs, 10) || 1);
  const dir = values.dir !== undefined ? resolve(values.dir) : join(corpusDir(repoRoot()), 'linux-6.1', 'net', 'ipv6');
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.o'))
    .sort();
  if (names.length === 0) {
    console.error(`no .o files in ${dir}`);
    return 1;
  }
  const paths = names.map((n) => join(dir, n));

  // 1. files read into memory first: only decoding is timed on our side
  const bytes = paths.map((p) => new Uint8Array(readFileSync(p)));
  const fileMB = bytes.reduce((a, b) => a + b.length, 0) / MB;

  // 2. one untimed pass (JIT warm-up) that also counts what is decoded
  let rows = 0;
  let sequences = 0;
  let lineBytes = 0;
  for (let i = 0; i < bytes.length; i++) {
    const elf = readElf(bytes[i]!, paths[i]!);
    const line = elf.sectionByName('.debug_line');
    if (line) lineBytes += elf.sectionData(line).length;
    for (const p of readLineTable(elf)) {
      rows += p.rowCount;
      sequences += p.sequences.length;
    }
  }
  const lineMB = lineBytes / MB;

  // 3. timed passes: a fresh readElf each time (section headers, relocations of
  //    .debug_line applied, strings, the state machine: everything from bytes to rows)
  let oursS = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    let check = 0;
    for (let i = 0; i < bytes.length; i++) for (const p of readLineTable(readElf(bytes[i]!, paths[i]!))) check += p.rowCount;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (check !== rows) throw new Error(`row count changed between passes: ${check} vs ${rows}`);
    oursS = Math.min(oursS, s);
  }

  // 4. llvm-dwarfdump on the same files, sequentially, output discarded
  let dumpS: number | undefined;
  let startupS: number | undefined;
  let version: string | undefined;
  const bin = values.dwarfdump;
  if (!values['skip-dwarfdump']) {
    const v = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (v.error || v.status !== 0) {
      console.error(`cannot run ${bin}: ${v.error?.message ?? v.stderr}`);
      return 1;
    }
    version = /version\s+([\d.]+)/.exec(v.stdout)?.[1];
    // process start-up alone (`--version`), for reading the ratio
    startupS = Infinity;
    for (let r = 0; r < 5; r++) {
      const a = process.hrtime.bigint();
      spawnSync(bin, ['--version'], { stdio: 'ignore' });
      startupS = Math.min(startupS, Number(process.hrtime.bigint() - a) / 1e9);
    }
    dumpS = Infinity;
    for (let r = 0; r < runs; r++) {
      let sum = 0n;
      for (const p of paths) {
        const a = process.hrtime.bigint();
        const res = spawnSync(bin, ['--debug-line', p], { stdio: ['ignore', 'ignore', 'pipe'] });
        sum += process.hrtime.bigint() - a;
        if (res.status !== 0) {
          console.error(`${bin} failed on ${p}: ${res.stderr}`);
          return 1;
        }
      }
      dumpS = Math.min(dumpS, Number(sum) / 1e9);
    }
  }

  const result = {
    dir,
    files: paths.length,
    fileMB: Number(fileMB.toFixed(3)),
    debugLineMB: Number(lineMB.toFixed(3)),
    sequences,
    rows,
    runs,
    ours: {
      seconds: Number(oursS.toFixed(4)),
      debugLineMBps: Number((lineMB / oursS).toFixed(2)),
      rowsPerSecond: Math.round(rows / oursS),
    },
    dwarfdump:
      dumpS === undefined
        ? null
        : {
            binary: bin,
            version: version ?? null,
            seconds: Number(dumpS.toFixed(4)),
            debugLineMBps: Number((lineMB / dumpS).toFixed(2)),
            startupSecondsPerProcess: Number(startupS!.toFixed(4)),
            /** dwarfdump's time with one process start-up per file subtracted */
            secondsWithoutStartup: Number(Math.max(0, dumpS - startupS! * paths.length).toFixed(4)),
          },
    /** dwarfdump time / our time: > 1 means we are faster */
    speedRatio: dumpS === undefined ? null : Number((dumpS / oursS).toFixed(2)),
    speedRatioWithoutStartup: dumpS === undefined ? null : Number((Math.max(0, dumpS - startupS! * paths.length) / oursS).toFixed(2)),
    node: process.version,
  };

  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(
    `kcompart line-table benchmark: ${result.files} objects (${fileMB.toFixed(2)} MB), .debug_line ${lineMB.toFixed(2)} MB, ` +
      `${sequences} sequences, ${rows} rows (${dir}); best of ${runs}`,
  );
  console.log(`  ${pad('decoder', 44)} ${pad('seconds', 10)} .debug_line MB/s`);
  console.log(`  ${pad('kcompart readElf + readLineTable (in memory)', 44)} ${pad(oursS.toFixed(4), 10)} ${result.ours.debugLineMBps}`);
  if (result.dwarfdump) {
    const d = result.dwarfdump;
    console.log(`  ${pad(`${d.binary} --debug-line (sequential)`, 44)} ${pad(d.seconds.toFixed(4), 10)} ${d.debugLineMBps}`);
    console.log(
      `  ratio: kcompart is ${result.speedRatio}x faster than ${d.binary}; ` +
        `${result.speedRatioWithoutStartup}x with its process start-up (${(d.startupSecondsPerProcess * 1000).toFixed(1)} ms × ${result.files}) subtracted`,
    );
    console.log(`  (dwarfdump also reads the file from disk and formats the text it prints; we decode bytes already in memory)`);
  }
  return 0;
}

process.exitCode = main();
