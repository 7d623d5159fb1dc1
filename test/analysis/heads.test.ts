// Sentinel list heads (analysis/legal.ts Containment): a typed fallback "any object of T" admits a
// record posing as a T only when T starts with links to its own type and the record mirrors them
// (a circular list's head, cast: `(struct sk_buff *)list`). Checked on a clang-19 module
// (test/fixtures/analysis/heads.c) and on the corpus kernel's BTF.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusDir } from '../../scripts/lib/paths.js';
import { analyzeProgram } from '../../src/analysis/index.js';
import { Containment, recordFacts } from '../../src/analysis/legal.js';
import { Program } from '../../src/analysis/program.js';
import { readBtfFile } from '../../src/btf/index.js';
import { parseModule } from '../../src/index.js';
import type { DICompositeType } from '../../src/ir/debuginfo.js';

const file = join(import.meta.dirname, '../fixtures/analysis/heads.ll');
const module = parseModule(readFileSync(file), { filename: file });
const program = new Program([{ module, name: module.sourceFilename!, role: 'compartment' }]);
const facts = new Map(
  module.metadata
    .filter((m): m is DICompositeType => m?.kind === 'DICompositeType' && !!m.name && m.tag === 'DW_TAG_structure_type')
    .map((m) => [`struct ${m.name}`, recordFacts(m)]),
);

describe('sentinel list heads from debug info', () => {
  it('a head mirroring both links of a doubly linked record, through anonymous unions, poses as one', () => {
    expect(facts.get('struct buf_queue')?.headOf).toEqual(['struct buf']);
    // and so do the anonymous records holding the links, in buf_queue and in buf itself
    const named = [...new Containment(program).headsOf('struct buf')].filter((h) => !h.includes('anonymous'));
    expect(named).toEqual(['struct buf_queue']);
  });
  it('a head of one pointer poses as a singly linked record', () => {
    expect(facts.get('struct shead')?.headOf).toEqual(['struct snode']);
  });
  it('a record that merely starts with a T * is no head: its next word is no link, or T has no links', () => {
    expect(facts.get('struct ring_slot')?.headOf).toEqual([]);
    expect(facts.get('struct reply')?.headOf).toEqual([]);
    expect(new Containment(program).headsOf('struct net_device').size).toBe(0);
  });
});

describe('sentinel list heads from the corpus kernel BTF', async () => {
  const btf = await readBtfFile(join(corpusDir(), 'linux-6.1', 'kernel', 'vmlinux.btf'));
  const containment = new Containment(new Program([]), btf);
  it('sk_buff_head and sk_buff_list pose as an sk_buff; a driver ring slot holding an skb does not', () => {
    const heads = containment.headsOf('struct sk_buff');
    expect(heads).toContain('struct sk_buff_head');
    expect(heads).toContain('struct sk_buff_list');
    expect(heads).not.toContain('struct tg3_tx_ring_info');
    expect(heads).not.toContain('struct sk_buff_fclones');
  });
  it('nothing poses as a net_device or a net: they start with no link to their own type', () => {
    expect(containment.headsOf('struct net_device').size).toBe(0);
    expect(containment.headsOf('struct net').size).toBe(0);
  });
});

describe('sites typed by the start of a container', () => {
  const { policy } = analyzeProgram(program);
  it('"any object of T" admits a prefix-typed site of a run-time size, not one too small to be a T nor an array of the prefix', () => {
    const kill = policy.accesses.filter((a) => a.function === 'tasklet_kill');
    expect(kill).toHaveLength(1);
    const legal = kill[0]!.legal;
    expect(legal.reasons[0]).toMatchObject({ kind: 'untyped-origin', detail: 'any object of type struct tasklet' });
    const byId = new Map(policy.allocationSites.map((s) => [s.id, s]));
    // work_pairs' elements are 32 bytes: they may be tasklet-sized objects
    expect(legal.slabSites.map((id) => [byId.get(id)?.caller, byId.get(id)?.type.name]).sort()).toEqual([
      ['work_of_size', 'struct work'],
      ['work_pairs', 'struct work'],
    ]);
    // work_alone's 16 bytes (a struct work of its own) are not admitted: a tasklet takes 48
    expect(policy.allocationSites.find((s) => s.caller === 'work_alone')?.size).toEqual({ constant: 16 });
    // nor work_table's array of struct work, made by an inline kmalloc_array (overflow checked)
    expect(policy.allocationSites.find((s) => s.caller === 'work_table')?.size).toEqual({ expression: 'arg0', multipleOf: 16 });
    expect(policy.allocationSites.find((s) => s.caller === 'work_pairs')?.size).toEqual({ expression: 'arg0', multipleOf: 32 });
  });
});

describe('a head poses as a T at its links only', () => {
  const { policy } = analyzeProgram(program);
  const only = (fn: string) => {
    const a = policy.accesses.filter((x) => x.function === fn);
    expect(a).toHaveLength(1);
    return a[0]!.legal;
  };
  it("a write to a lost buf's link may land in the queue head; one past the links may not", () => {
    expect(only('buf_unlink').reasons[0]?.detail).toBe('any object of type struct buf');
    expect(only('buf_unlink').globals).toEqual(['b', 'q']);
    expect(only('buf_unlink').foreignTypes?.map((t) => t.name)).toContain('struct buf_queue');
    expect(only('buf_trim').reasons[0]?.detail).toBe('any object of type struct buf');
    expect(only('buf_trim').globals).toEqual(['b']);
    expect(only('buf_trim').foreignTypes?.map((t) => t.name)).toEqual(['struct buf']);
  });
});
