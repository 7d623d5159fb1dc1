// The CI-sized end-to-end run (issue 6): the kcdemo compartment's policy,
// made by the library (analyze → map → emit → compile with the static
// loader), enforced in the corpus kernel under qemu. The legitimate workload
// must raise no violation in the enforce phase; the `note 100` overflow must
// be reported at kcdemo.c's faulty store, inside the victim object, as slab
// memory recorded for the victim's allocation site; probes attach, checks run
// in every region the workload touches, and the guest stays healthy. Nothing
// is attached to the host kernel. The full net/ipv6 run is `npm run bench:e2e`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kcdemo, printReport, runE2E, type E2EReport } from '../../scripts/e2e/run.js';
import { repoRoot } from '../../scripts/lib/paths.js';

describe('kcdemo compartment enforced in the corpus kernel (qemu)', () => {
  let report: E2EReport;

  it('runs: audit, enforce, workload, bug, detach', async () => {
    report = await runE2E(kcdemo(), { rounds: 5, timeoutMs: 300_000 });
    printReport(report);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  }, 400_000);

  it('attached every site program and allocation probe', () => {
    expect(report.attached?.['sites']).toBe(report.emit.programs);
    expect(report.attached?.['refused']).toBe(0);
    expect(report.attached?.['alloc_and_track']).toBeGreaterThanOrEqual(report.emit.allocations.probes);
  });

  it('raised no violation on the legitimate workload, with checks in the slab, vmalloc and stack regions', () => {
    const c = report.countersLegit!;
    expect(c['violations']).toBe(0);
    expect(report.legitViolations).toEqual([]);
    expect(c['checks']).toBeGreaterThan(1000);
    expect(c['pass_slab']).toBeGreaterThan(0);
    expect(c['pass_vmalloc']).toBeGreaterThan(0);
    expect(c['pass_stack']).toBeGreaterThan(0);
    // the probes recorded allocations and the free probes forgot them
    expect(c['tracked']).toBeGreaterThan(0);
    expect(c['freed']).toBeGreaterThan(0);
  });

  it("caught the overflow at the faulty store, in the victim, as memory of the victim's allocation site", () => {
    const src = readFileSync(join(repoRoot(), 'examples', 'kcdemo', 'kcdemo.c'), 'utf8').split('\n');
    const line = src.findIndex((l) => /^\s*note\[i\] = /.test(l)) + 1;
    expect(report.bugEvents.length).toBeGreaterThan(0);
    const e = report.bugEvents[0]!;
    expect(e).toMatch(new RegExp(`at="[^"]*kcdemo\\.c:${line}:\\d+"`));
    expect(e).toMatch(/function="kcdemo_note"/);
    expect(e).toMatch(/region=slab/);
    // the object it hit was allocated at the victim's kmalloc in kcdemo_note_alloc, not the note's
    expect(e).toMatch(/alloc="[^"]*kcdemo_note_alloc:\d+"/);
    expect(report.countersFinal!['violations']).toBeGreaterThan(0);
  });

  it('checked the legitimate indirect calls without a false alarm and caught the hijacked one (issue 16)', () => {
    const ic = report.icall!;
    expect(ic.attached?.['sites']).toBe(1);
    expect(ic.countersLegit?.['checks']).toBeGreaterThan(0);
    expect(ic.countersLegit?.['violations']).toBe(0);
    expect(ic.legitViolations).toEqual([]);
    expect(ic.bugEvents[0]).toMatch(/function="kcdemo_op" .*symbol="jiffies_to_msecs\+0x0" expected=2 /);
  });
});
