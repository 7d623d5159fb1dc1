// The cache catalogue from the TUs' cached link facts (src/summary/catalogue.ts)
// against readCacheCatalogue, which parses and searches each TU itself (the
// oracle): on net/core, the same Cache records; and a second read is served
// from the cache.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCacheCatalogue } from '../../src/analysis/index.js';
import { cacheCatalogue } from '../../src/summary/index.js';

const core = join(import.meta.dirname, '../../../shared/corpus/linux-6.1/net/core');
const FILES = readdirSync(core)
  .filter((f) => f.endsWith('.ll'))
  .sort()
  .map((f) => join(core, f));

describe('cacheCatalogue', () => {
  it('gives readCacheCatalogue’s caches of net/core, typed the same, and reads them from the cache the second time', async () => {
    const oracle = await readCacheCatalogue(FILES);
    expect(oracle.length).toBeGreaterThan(3);
    expect(oracle.some((c) => c.objectTypes?.length)).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'kc-catalogue-'));
    const seen: string[] = [];
    const cold = await cacheCatalogue(FILES, { cacheDir: dir, threads: 0, onFile: (f) => seen.push(f) });
    expect(cold).toEqual(oracle);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(FILES.length);
    const warm = await cacheCatalogue(FILES, { cacheDir: dir, threads: 0 });
    expect(warm).toEqual(oracle);
  }, 120_000);
});
