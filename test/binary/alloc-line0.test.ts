// Issue 14, pattern 7: when the backend merges two calls of an allocator into
// one machine call under a line-0 row (branch folding's tail merge), neither
// IR site is placed by its location. The mapper then finds the call by its
// target inside the caller and marks both probes ambiguous, with a reason.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/index.js';
import { mapAllocationSites, readElf } from '../../src/binary/index.js';
import type { Policy } from '../../src/policy/schema.js';
import { haveTool } from './support/llvm.js';

const CLANG = process.env['CLANG'] ?? 'clang-19';
const SOURCE = `typedef unsigned long size_t;
typedef unsigned int gfp_t;
void *__kmalloc(size_t size, gfp_t flags);
struct obj { int a; long b; };
struct obj *merged(int c, size_t n) {
  struct obj *o;
  if (c)
    o = __kmalloc(n, 0xcc0);
  else
    o = __kmalloc(n + 8, 0x820);
  if (o)
    o->a = 1;
  return o;
}
`;

let dir = '';
let policy: Policy;
let obj = '';
beforeAll(async () => {
  if (!(await haveTool(CLANG))) throw new Error(`${CLANG} is missing: run scripts/setup.sh`);
  dir = mkdtempSync(join(tmpdir(), 'kcompart-line0-'));
  writeFileSync(join(dir, 'm.c'), SOURCE);
  const ll = join(dir, 'm.ll');
  obj = join(dir, 'm.o');
  execFileSync(CLANG, ['-O2', '-g', '-S', '-emit-llvm', '-fno-pic', join(dir, 'm.c'), '-o', ll]);
  execFileSync(CLANG, ['-O2', '-c', '-fno-pic', ll, '-o', obj]);
  policy = (await analyze([ll], [])).policy;
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('allocation calls merged to line 0', () => {
  it('finds the merged call by its target and marks both sites ambiguous', () => {
    const sites = policy.allocationSites.filter((s) => s.caller === 'merged');
    expect(sites.map((s) => s.location[0]!.line).sort()).toEqual([10, 8]);
    const { allocationSites, stats } = mapAllocationSites({ allocationSites: sites }, [
      { path: 'm.o', elf: readElf(readFileSync(obj), obj) },
    ]);
    expect(stats.unmapped).toBe(0);
    const offsets = new Set<number>();
    for (const s of allocationSites) {
      expect(s.probes).toHaveLength(1);
      expect(s.probes![0]).toMatchObject({ symbol: 'merged', confidence: 'ambiguous' });
      expect(s.probes![0]!.reason).toMatch(/line-0 site: merged call found by its target/);
      offsets.add(s.probes![0]!.offset);
    }
    expect(offsets.size).toBe(1); // one machine call serves both source calls
  });
});
