// Owns `npm run bench:classify` (issue 10 item 3): gathers labelled object samples in the corpus
// kernel under qemu (scripts/classify/gather.ts: the sampler of runtime/sample/ over the net/ipv6
// workload and a general one), then measures the old-object classifier (src/classify/) on the
// test half: hand rules and learned weights, with the cache name (`cache`, as at run time) and
// without it (`blind`: the bytes and the size class alone), and prints the accuracy lines and the
// confusion table of each.
//   node dist/bench/classify.js [--samples FILE] [--train FILE] [--rounds N] [--timeout S] [--fixture OUT] [--verbose]
// --samples reuses a sample file instead of booting; --train FILE: learn from another boot's
// samples and measure on every labelled object of this one (else every second object of each
// type is the test split); --fixture writes a small per-type subset (the committed test fixture
// is made so).
import { join } from 'node:path';
import {
  classifyObject,
  evaluateAll,
  formatConfusion,
  isKmallocCache,
  labelSamples,
  observe,
  readSamples,
  readSymbols,
  trainLearned,
  writeSamples,
} from '../src/classify/index.js';
import { readBtfFile } from '../src/btf/index.js';
import { gatherSamples } from '../scripts/classify/gather.js';
import { corpusDir, repoRoot } from '../scripts/lib/paths.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const kernel = join(corpusDir(), 'linux-6.1', 'kernel');
  const syms = readSymbols(join(kernel, 'System.map'));
  let file = opt('--samples');
  if (!file) {
    const g = await gatherSamples(join(repoRoot(), '.cache', 'classify'), {
      rounds: Number(opt('--rounds') ?? 5),
      timeoutMs: Number(opt('--timeout') ?? 1500) * 1000,
      verbose: args.includes('--verbose'),
    });
    console.log(`guest: ${g.seconds.toFixed(0)} s; ${g.counts}; samples in ${g.samples}`);
    for (const [name, addr] of g.kallsyms)
      if (syms.byName.get(name) !== addr)
        throw new Error(`guest kallsyms ${name}=${addr.toString(16)} is not System.map's: the guest was not booted with nokaslr?`);
    file = g.samples;
  }
  const samples = readSamples(file);
  const trainFile = opt('--train');
  const trainSamples = trainFile ? readSamples(trainFile) : [];
  const btf = readBtfFile(join(kernel, 'vmlinux.btf'));
  const all = labelSamples([...trainSamples, ...samples], btf, syms);
  const fromTrain = new Set(trainSamples);
  const labelled = all.labelled.filter((l) => !fromTrain.has(l.sample));
  const { universe } = all;
  const stats = labelSamples(samples, btf, syms).stats;
  console.log(
    `samples: ${stats.samples}, labelled ${stats.labelled} (${universe.layouts.size} types), unlabelled ${stats.unlabelled}, unread ${stats.unread}` +
      (stats.noLayout.size ? `, no BTF layout: ${[...stats.noLayout].map(([t, n]) => `${t} ${n}`).join(', ')}` : ''),
  );
  const out = opt('--fixture');
  if (out) {
    const per = new Map<string, number>();
    const keep = labelled.filter((l) => {
      const k = per.get(l.label) ?? 0;
      per.set(l.label, k + 1);
      return k < 4;
    });
    writeSamples(
      out,
      keep.map((l) => l.sample),
    );
    console.log(`fixture: ${keep.length} samples of ${per.size} types in ${out}`);
  }
  const heldOut = trainFile ? { train: all.labelled.filter((l) => fromTrain.has(l.sample)), test: labelled } : undefined;
  const { train, test, results } = evaluateAll(universe, labelled, heldOut, syms);
  console.log(
    `split: train ${train}, test ${test} (${trainFile ? `trained on ${trainFile}, tested on every labelled object of ${file}` : 'about half of each type, by a hash of the address'})`,
  );
  for (const m of results)
    console.log(
      `accuracy ${m.mode.padEnd(5)} ${m.scorer.padEnd(15)} ${{ all: 'all types         ', kmalloc: 'kmalloc caches only', old: 'allocated before  ' }[m.subset]} ${m.correct}/${m.total} = ${(100 * m.accuracy).toFixed(1)} %`,
    );
  // what the audit phase would say of the old kmalloc objects no label covers: the classifier's guess
  const learned = trainLearned(heldOut ? heldOut.train : labelled, syms);
  const guesses = new Map<string, number>();
  for (const smp of samples) {
    if (smp.callSite !== 0n || !isKmallocCache(smp.cacheName) || smp.bytes.length === 0) continue;
    const v = classifyObject(universe, learned, observe(smp, syms), 'cache');
    const k = `${smp.cacheName} -> ${v.type ?? '(none)'}`;
    guesses.set(k, (guesses.get(k) ?? 0) + 1);
  }
  if (guesses.size)
    console.log(`old kmalloc objects without a label, the learned guess: ${[...guesses].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const m of results) {
    if (m.subset !== 'all') continue;
    console.log(`\nconfusion (${m.mode}, ${m.scorer}, test split):`);
    console.log(formatConfusion(m));
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
