// The cost model's measured part (bench/cost/measure.ts, `npm run bench:cost`): the timing
// harness bench/cost/cost.bpf.c compiles, loads on this machine's kernel and times every region
// path as a pass (a path whose first check does not pass throws), so the benchmark cannot rot.
import { describe, expect, it } from 'vitest';
import { PATHS, measureCheckCost } from '../../bench/cost/measure.js';

describe('bench:cost harness', () => {
  it('times kc_check_range on every region path, each a pass, in a plausible range', async () => {
    const ns = await measureCheckCost(2000);
    expect([...ns.keys()]).toEqual(PATHS.map((p) => p.label));
    for (const [label, v] of ns) {
      expect(v, label).toBeGreaterThan(0);
      expect(v, label).toBeLessThan(100_000);
    }
  }, 120_000);
});
