// The run-time cost model (`npm run bench:cost`, issue 15 item 3): what the checks of a
// compartment would cost on hardware with a BPF JIT, from three measured parts and one
// documented one:
//   1. ns per check, per region path, measured on THIS machine's kernel (which JITs BPF): the
//      run time's real kc_check_range called in a bpf_loop by bench/cost/cost.bpf.c, loaded and
//      run through BPF_PROG_TEST_RUN, never attached (an empty loop timed and subtracted);
//   2. how many checks one round of the workload makes, and on which region they pass: the
//      loader's `KC-COUNTERS now` line of a VM run (`node dist/scripts/e2e/run.js ipv6`), which
//      covers 1 audit round + N enforce rounds (`rounds` of the payload), and which share of the
//      site kprobes the guest kernel optimized into jumps (`KC-E2E-KPROBES`);
//   3. the CPU time of the same workload run natively on this machine (netload's TCP and UDP
//      parts; ping6 and the address changes are left out so the host's network is not touched:
//      a smaller denominator, so the projection is an upper bound);
//   4. the kprobe trap, from Documentation/trace/kprobes.rst ("Probe Overhead"): an int3 hit
//      takes 0.5 to 1.0 us, an optimized (jump) hit 0.07 to 0.1 us on the CPUs it measured; the
//      upper ends are used.
// Also: the per-site check counts of the run (the loader's --hits: KC-HITS lines) as
// .cache/cost/hits.csv (site, source line, hits, regions, probe) and the top sites.
// Last line:  cost: checks/s C, ns/check N, projected overhead P %
//   node dist/bench/cost.js [--log GUEST_LOG] [--iterations N]

import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { format } from 'fast-csv';
import { join } from 'node:path';
import { parseLoaderLog } from '../src/report/index.js';
import { scriptOptions } from '../scripts/lib/args.js';
import { repoRoot } from '../scripts/lib/paths.js';
import { KC } from '../src/emit/index.js';
import { PATHS, hostWorkloadCpu, measureCheckCost, must } from './cost/measure.js';

/** The region names of a site's KC_R_* bits. */
function regionNames(bits: number): string {
  const names: [number, string][] = [
    [KC.R_STACK, 'stack'],
    [KC.R_GLOBAL, 'global'],
    [KC.R_SLAB, 'slab'],
    [KC.R_BUDDY, 'buddy'],
    [KC.R_VMALLOC, 'vmalloc'],
    [KC.R_PERCPU, 'percpu'],
    [KC.R_VMEMMAP, 'vmemmap'],
  ];
  return (
    names
      .filter(([b]) => bits & b)
      .map(([, n]) => n)
      .join('+') || 'none'
  );
}

/** Writes the per-site counts as CSV (site, source line, hits, regions, probe). */
function writeCsv(
  path: string,
  rows: readonly { site: number; line: string; hits: number; regions: string; probe: string }[],
): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(path);
    const csv = format({ headers: ['site', 'line', 'hits', 'regions', 'probe'] });
    csv
      .pipe(out)
      .on('finish', () => resolve())
      .on('error', reject);
    for (const r of rows) csv.write([r.site, r.line, r.hits, r.regions, r.probe]);
    csv.end();
  });
}

const ROOT = repoRoot();
const opts = scriptOptions(
  {
    log: { type: 'string', default: join(ROOT, '.cache', 'e2e', 'run-ipv6', 'guest.log') },
    iterations: { type: 'string', default: '200000' },
  },
  'usage: node dist/bench/cost.js [--log GUEST_LOG] [--iterations N]',
);
if (typeof opts === 'number') process.exit(opts);
const logPath = opts.log;
const iterations = Number(opts.iterations);
/** Documented kprobe hit costs, upper ends (Documentation/trace/kprobes.rst, "Probe Overhead"). */
const TRAP_NS = { int3: 1000, optimized: 100 };

const ns = await measureCheckCost(iterations);
console.log(
  `kcompart cost model: kc_check_range on this machine's kernel (${must('uname', ['-r']).trim()}, BPF JIT), ${iterations} calls per path, median of 5`,
);
console.log('  path                        ns/check');
for (const [label, v] of ns) console.log(`  ${label.padEnd(26)} ${v.toFixed(1).padStart(9)}`);

// the rest needs a VM run's counters: without one, the measured part alone, and the line says so
const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
const counters = parseLoaderLog(log).counters.find((c) => c.when === 'now')?.values;
if (!counters) {
  const mean = [...ns.values()].reduce((a, b) => a + b, 0) / ns.size;
  console.log(
    `  no VM run counters in ${logPath} ('KC-COUNTERS now'): run \`node dist/scripts/e2e/run.js ipv6\` first, or pass --log FILE`,
  );
  console.log(`cost: checks/s n/a, ns/check ${mean.toFixed(0)} (checking only, unweighted mean of the paths), projected overhead n/a`);
  process.exit(0);
}
const roundsMatch = /KC-E2E-ROUNDS (\d+)/.exec(log);
const rounds = Number(roundsMatch?.[1] ?? 5) + 1; // + the audit round
const kprobes = /KC-E2E-KPROBES (\d+) (\d+)/.exec(log);
const optimizedShare = kprobes && Number(kprobes[1]) > 0 ? Number(kprobes[2]) / Number(kprobes[1]) : 0;
const tcg = /KC-E2E-TIME bare (\d+)[\s\S]*KC-E2E-TIME policy (\d+)/.exec(log);

// each region's passes weigh its path (the dearer one where two paths share a counter); checks
// that passed no region (violations, unknown owner, untracked passes) weigh the dearest path
const byCounter = new Map<string, number>();
for (const p of PATHS) byCounter.set(p.counter, Math.max(byCounter.get(p.counter) ?? 0, ns.get(p.label)!));
const dearest = Math.max(...ns.values());
const checks = counters['checks'] ?? 0;
let weighted = 0;
let covered = 0;
for (const [counter, v] of byCounter) {
  const n = counters[counter] ?? 0;
  weighted += n * v;
  covered += n;
}
weighted += Math.max(0, checks - covered) * dearest;
const nsCheck = checks ? weighted / checks : 0;
const trapNs = optimizedShare * TRAP_NS.optimized + (1 - optimizedShare) * TRAP_NS.int3;
const hostRounds = 20;
const cpuPerRound = hostWorkloadCpu(hostRounds) / hostRounds;
const checksPerRound = checks / rounds;
const checksPerSecond = cpuPerRound > 0 ? checksPerRound / cpuPerRound : 0;
const projected = (checksPerSecond * (nsCheck + trapNs)) / 1e9;
const projectedAllOptimized = (checksPerSecond * (nsCheck + TRAP_NS.optimized)) / 1e9;
console.log(`  VM run: ${logPath}`);
console.log(
  `    ${checks} checks in ${rounds} rounds (${checksPerRound.toFixed(0)} per round), passes by region: ${PATHS.map((p) => p.counter)
    .filter((c, i, a) => a.indexOf(c) === i)
    .map((c) => `${c.replace('pass_', '')} ${counters[c] ?? 0}`)
    .join(', ')}`,
);
console.log(
  `    site kprobes optimized by the guest kernel: ${kprobes ? `${kprobes[2]} of ${kprobes[1]}` : 'not recorded (an older log)'}`,
);
if (tcg) console.log(`    measured under TCG, BPF interpreter: ratio ${(Number(tcg[2]) / Math.max(1, Number(tcg[1]))).toFixed(2)}`);
console.log(`  this machine: one round's TCP + UDP work takes ${(cpuPerRound * 1e3).toFixed(1)} ms of CPU (${hostRounds} rounds)`);
console.log(
  `  per check: ${nsCheck.toFixed(1)} ns checking + ${trapNs.toFixed(0)} ns kprobe trap (documented; ${(100 * optimizedShare).toFixed(0)} % optimized)`,
);
console.log(`  projected with every site kprobe optimized: ${(100 * projectedAllOptimized).toFixed(1)} %`);
// where the cost goes: the per-site counts of the run (loader --hits), as a CSV and the top sites
const hits = [...log.matchAll(/^KC-HITS site=(\d+) hits=(\d+) regions=(0x[0-9a-f]+) at="([^"]*)" probe="([^"]*)"$/gm)].map((m) => ({
  site: Number(m[1]),
  hits: Number(m[2]),
  regions: regionNames(Number.parseInt(m[3]!, 16)),
  line: m[4]!,
  probe: m[5]!,
}));
if (hits.length > 0) {
  hits.sort((a, b) => b.hits - a.hits);
  const csv = join(ROOT, '.cache', 'cost', 'hits.csv');
  await writeCsv(csv, hits);
  const total = hits.reduce((n, h) => n + h.hits, 0);
  console.log(`  where the checks go (${hits.length} sites ran, ${total} checks; every site in ${csv}):`);
  for (const h of hits.slice(0, 8))
    console.log(
      `    ${String(h.hits).padStart(9)}  ${((100 * h.hits) / total).toFixed(1).padStart(5)} %  ${h.line}  ${h.probe}  (${h.regions})`,
    );
} else {
  console.log('  per-site counts: none in the log (the loader runs with --hits in the ipv6 e2e run)');
}
console.log(
  `cost: checks/s ${checksPerSecond.toFixed(0)}, ns/check ${(nsCheck + trapNs).toFixed(0)}, projected overhead ${(100 * projected).toFixed(1)} %`,
);
