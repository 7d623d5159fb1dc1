// Tests the stall watch of the qemu harness (scripts/e2e/vm.ts): which console
// lines are the kernel's stall reports (the texts of kernel/rcu/tree_stall.h
// and kernel/watchdog.c in 6.1), when a run of them decides that the guest is
// stalled, and that a harness marker between them means the guest went on.

import { describe, expect, it } from 'vitest';
import { STALL_REPORT, StallWatch } from '../../scripts/e2e/vm.js';

const STARVED = '[  651.018220] rcu: rcu_preempt kthread starved for 2503 jiffies! g3493 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x0 ->cpu=1';

describe('the stall reports of the guest kernel', () => {
  it('matches RCU stalls, kthread starvation, lost timer wakeups and soft lockups', () => {
    for (const line of [
      STARVED,
      '[  630.000001] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:',
      '[  630.000001] rcu: INFO: rcu_preempt self-detected stall on CPU',
      "[  700.1] rcu: rcu_preempt kthread timer wakeup didn't happen for 2502 jiffies! g9 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x402",
      '[  800.2] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [loader:231]',
    ])
      expect(STALL_REPORT.test(line), line).toBe(true);
  });

  it('does not match the RCU lines of a healthy boot', () => {
    for (const line of [
      '[    0.194474] rcu: Preemptible hierarchical RCU implementation.',
      '[    0.194519] rcu: \tRCU restricting CPUs from NR_CPUS=64 to nr_cpu_ids=2.',
      '[    0.2] rcu: Adjusting geometry for rcu_fanout_leaf=16, nr_cpu_ids=2',
      'KC-E2E-TIME bare 3',
    ])
      expect(STALL_REPORT.test(line), line).toBe(false);
  });
});

describe('StallWatch', () => {
  it('decides once the reports span the limit with no marker between them', () => {
    const w = new StallWatch(120_000);
    expect(w.observe('KC-E2E-TIME bare 3', 0)).toBeNull();
    expect(w.observe(STARVED, 10_000)).toBeNull();
    expect(w.observe('[  700.0] task:rcu_preempt state:I stack:0', 10_001)).toBeNull();
    expect(w.observe(STARVED, 73_000)).toBeNull();
    const s = w.observe(STARVED, 136_000);
    expect(s).toEqual({ seconds: 126, reports: [STARVED.trim(), STARVED.trim(), STARVED.trim()], lastMarker: 'KC-E2E-TIME bare 3' });
  });

  it('starts afresh after a marker: a guest that goes on is slow, not stalled', () => {
    const w = new StallWatch(120_000);
    expect(w.observe(STARVED, 0)).toBeNull();
    expect(w.observe(STARVED, 63_000)).toBeNull();
    expect(w.observe('KC-ATTACHED sites=54 refused=0', 100_000)).toBeNull();
    expect(w.observe(STARVED, 126_000)).toBeNull();
    expect(w.observe(STARVED, 189_000)).toBeNull();
    expect(w.observe(STARVED, 246_000)?.lastMarker).toBe('KC-ATTACHED sites=54 refused=0');
  });

  it('never decides when switched off', () => {
    const w = new StallWatch(0);
    for (let t = 0; t < 1_000_000; t += 63_000) expect(w.observe(STARVED, t)).toBeNull();
  });
});
