// Compares the reader's summary with LLVM's irstats JSON for corpus files and
// prints the first difference of each file that disagrees (a debugging aid for
// the equality test in test/irstats.test.ts, and the check of
// scripts/llvm22-kernel.sh), then how long the reader took (read + summary).
import { readFileSync, statSync } from 'node:fs';
import { readModule, summarizeModule } from '../src/index.js';

function firstDiff(a: unknown, b: unknown, path = ''): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path}: ours ${JSON.stringify(a)?.slice(0, 300)} llvm ${JSON.stringify(b)?.slice(0, 300)}`;
}

let bad = 0;
let ms = 0;
let bytes = 0;
for (const file of process.argv.slice(2)) {
  const want = JSON.parse(readFileSync(file.replace(/\.ll$/, '.irstats.json'), 'utf8'));
  try {
    const t0 = performance.now();
    const got = summarizeModule(await readModule(file));
    ms += performance.now() - t0;
    bytes += statSync(file).size;
    const d = firstDiff(got, want);
    if (d) {
      bad++;
      console.log(`${file}: ${d}`);
    }
  } catch (e) {
    bad++;
    console.log(`${file}: ${(e as Error).message}`);
  }
}
console.log(
  `${process.argv.length - 2 - bad}/${process.argv.length - 2} agree (reader: read + summary ${(ms / 1000).toFixed(1)} s for ${(bytes / 1048576).toFixed(0)} MB)`,
);
process.exit(bad ? 1 : 0);
