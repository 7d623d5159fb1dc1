// The reader agrees with LLVM on every corpus file: the summary computed from
// our model equals, deeply, the summary LLVM's own irstats printed for the
// same `.ll` (LLVM 19 for clang 19 IR, LLVM 14 for the clang 14 typed-pointer set).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModule, summarizeModule } from '../src/index.js';

const corpus = join(import.meta.dirname, '../../shared/corpus');
const sets = ['linux-6.1/net/ipv6', 'linux-6.1/net/core', 'linux-6.1-clang14/net/ipv6'];

const files = sets.flatMap((s) => {
  const dir = join(corpus, s);
  if (!existsSync(dir)) throw new Error(`corpus folder missing: ${dir} (shared/ must sit beside the repo)`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ll'))
    .sort()
    .map((f) => join(dir, f));
});

describe('agreement with LLVM irstats on the kernel corpus', () => {
  it('finds all 101 corpus files', () => {
    expect(files.length).toBe(101);
  });
  for (const file of files) {
    const rel = file.slice(corpus.length + 1);
    it(rel, async () => {
      const want = JSON.parse(readFileSync(file.replace(/\.ll$/, '.irstats.json'), 'utf8'));
      const got = summarizeModule(await readModule(file));
      // totals first: a short, readable diff when they differ
      expect(got.totals).toEqual(want.totals);
      expect(got.source).toEqual(want.source);
      expect(got.functions.map((f) => f.name)).toEqual(want.functions.map((f: { name: string }) => f.name));
      for (let i = 0; i < want.functions.length; i++) {
        expect(got.functions[i], `function ${want.functions[i].name}`).toEqual(want.functions[i]);
      }
    });
  }
});
