// Owns `npm run bench:classify` (issue 10 item 3): gathers labelled object samples in the guest, then
// trains and measures the old-object classifier (src/classify/), printing an accuracy line and a
// confusion table over the types met.
//   node dist/bench/classify.js [--samples FILE] [--rounds N] [--timeout S] [--verbose]
import { join } from 'node:path';
import { gatherSamples } from '../scripts/classify/gather.js';
import { repoRoot } from '../scripts/lib/paths.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  let samples = opt('--samples');
  if (!samples) {
    const g = await gatherSamples(join(repoRoot(), '.cache', 'classify'), {
      rounds: Number(opt('--rounds') ?? 3),
      timeoutMs: Number(opt('--timeout') ?? 1500) * 1000,
      verbose: args.includes('--verbose'),
    });
    console.log(`guest: ${g.seconds.toFixed(0)} s; ${g.counts}; samples ${g.samples}`);
    samples = g.samples;
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
