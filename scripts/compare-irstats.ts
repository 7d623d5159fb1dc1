// Compares the reader's summary with LLVM's irstats JSON for corpus files and
// prints the first difference of each file that disagrees (a debugging aid for
// the equality test in test/irstats.test.ts).
import { readFileSync } from 'node:fs';
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
for (const file of process.argv.slice(2)) {
  const want = JSON.parse(readFileSync(file.replace(/\.ll$/, '.irstats.json'), 'utf8'));
  try {
    const got = summarizeModule(await readModule(file));
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
console.log(`${process.argv.length - 2 - bad}/${process.argv.length - 2} agree`);
process.exit(bad ? 1 : 0);
