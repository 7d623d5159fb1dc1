// The CI-sized attack matrix (issue 10): kcdemo's policy enforced in the
// corpus kernel under qemu with --on-violation kill; every machine write site
// asked, through the real checker and the live maps, about every exploit
// target found live in the guest (cred, init_cred, modprobe_path,
// core_pattern, a task_struct, a page-table page, another task's stack,
// foreign objects in a freed compartment slot, a freed object, a foreign
// vmalloc area, a text page's struct page, text, rodata, a direct-map alias,
// the run time's own phase flag, a packet's head buffer), judged against the policy's legal sets; and
// the injected writes of kcdemo's `poke` (the phase flag among them), each reported with its owner, the
// cred write's task killed before it could see uid 0; and issue 11's checker-fidelity writes
// (a memcpy and a rep stos overflow, a store straddling an object's end, a gs-relative write past
// its per-cpu variable), each reported. Nothing is attached to
// the host kernel. `npm run bench:attack` prints the full table.

import { describe, expect, it } from 'vitest';
import { kcdemoAttack, printAttack, runAttack, type AttackReport } from '../../scripts/e2e/attack.js';

describe('the attack matrix of kcdemo in the corpus kernel (qemu)', () => {
  let r: AttackReport;

  it('runs: the legitimate workload without a violation, the matrix, the injected writes', async () => {
    r = await runAttack(kcdemoAttack(), { rounds: 2, timeoutMs: 600_000 });
    printAttack(r);
    expect(r.e2e.problems).toEqual([]);
    expect(r.e2e.legitViolations).toEqual([]);
    expect(r.e2e.countersLegit?.['violations']).toBe(0);
  }, 700_000);

  it('finds a target of every class live in the guest', () => {
    for (const label of [
      'cred',
      'init_cred',
      'modprobe_path',
      'core_pattern',
      'task',
      'pgd',
      'other_stack',
      'uaf_msg_msg',
      'uaf_pipe_buffer',
      'uaf_seq_operations',
      'freed',
      'vmalloc_foreign',
      'text_page',
      '_stext',
      'linux_banner',
      'alias',
      'runtime_phase_flag',
      'skb_head',
    ]) {
      expect(
        r.rows.map((x) => x.label),
        label,
      ).toContain(label);
    }
  });

  it('every checked site reports every write outside its legal set, for every target class', () => {
    for (const row of r.rows) expect(row.excluded.passed, row.label).toBe(0);
    for (const c of r.classes) expect(c.caught + c.unchecked, c.name).toBe(c.excluded);
    // and by the kind of legal set: named memory, typed fallbacks, the skb-head class
    for (const k of r.setKinds) expect(k.caught + k.unchecked, k.name).toBe(k.excluded);
    expect(r.setKinds.reduce((n, k) => n + k.excluded, 0)).toBe(r.protection.excluded);
  });

  it('every write outside a legal set is reported: no machine site of kcdemo is left unchecked', () => {
    // writer calls (memcpy, copy_from_user, snprintf, …) are checked at the call: no-operand sites are gone
    expect(r.sites['no-operand']).toBe(0);
    expect(r.protection.caught).toBe(r.protection.excluded);
  });

  it('allows what the legal sets allow (no over-strict check on a target inside a set)', () => {
    for (const row of r.rows) expect(row.included.refusedByChecker, row.label).toBe(0);
  });

  it('reports each injected write with its site, region and owner, and kills the cred writer', () => {
    const by = new Map(r.injected.map((i) => [i.target, i]));
    for (const t of ['cred', 'modprobe_path', 'uaf_msg_msg', 'freed']) {
      expect(by.get(t)?.reported, t).toBe(true);
      expect(by.get(t)?.event, t).toMatch(/function="kcdemo_poke"/);
    }
    expect(by.get('cred')!.event).toMatch(/region=slab .*cache_name="cred_jar"/);
    expect(by.get('modprobe_path')!.event).toMatch(/symbol="modprobe_path\+0x0"/);
    expect(by.get('uaf_msg_msg')!.event).toMatch(/region=slab .*cache_name="kmalloc-(cg-)?64"/);
    expect(by.get('cred')!.killed).toBe(true);
    expect(r.credUidSeen).toBeNull();
  });

  it("reports issue 11's injected writes: the phase flag, a memcpy and a rep stos overflow, a straddling store, a gs write past its variable", () => {
    const by = new Map(r.injected.map((i) => [i.target, i]));
    // the run time's own phase flag: denied before any pass, whatever the site's set
    expect(by.get('runtime_phase_flag')?.event, 'runtime_phase_flag').toMatch(/function="kcdemo_poke".* region=runtime /);
    // the writer call, checked at the call as [dst, dst + len): memcpy of 100 bytes into a 64-byte object
    expect(by.get('memcpy_overflow')?.event, 'memcpy_overflow').toMatch(/function="kcfid_cpy".* region=slab .*object_size=64\b/);
    // rep stosq of 12 words from word 8 of a 128-byte object: rcx x 8 bytes from rdi
    expect(by.get('rep_stos_overflow')?.event, 'rep_stos_overflow').toMatch(/function="kcfid_stos".* region=slab .*object_size=128\b/);
    // an 8-byte store at byte 60 of a 64-byte object: its first byte is inside, its last is not
    expect(by.get('straddle')?.event, 'straddle').toMatch(/function="kcfid_straddle".* region=slab .*object_size=64\b/);
    // this_cpu_or of slot 4 of a 4-slot per-cpu array: the gs offset is past the variable
    expect(by.get('gs_percpu')?.event, 'gs_percpu').toMatch(/function="kcfid_pcpu".* region=percpu /);
    for (const t of ['runtime_phase_flag', 'memcpy_overflow', 'rep_stos_overflow', 'straddle', 'gs_percpu']) {
      expect(by.get(t)?.reported, t).toBe(true);
      expect(by.get(t)?.killed, t).toBe(true);
    }
  });

  it('reports the hijacked indirect call (ops pointer aimed at commit_creds) and kills its task before it sees uid 0', () => {
    const h = r.injected.find((i) => i.target === 'hijack');
    expect(h?.reported).toBe(true);
    expect(h!.event).toMatch(/^KC-ICALL-VIOLATION .*function="kcdemo_op" .*symbol="commit_creds\+0x0" expected=2 /);
    expect(h!.killed).toBe(true);
    expect(h!.exit).toBe(137);
  });
});
