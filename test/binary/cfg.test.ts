// Tests the machine control-flow graph (src/binary/cfg.ts) on hand-made instruction lists, one
// concern each: dominance with relocation-named places as extra roots, the instructions on the
// paths between two instructions, and "every path reaches" failing at exits, traps and loops.
// (The corpus-wide proof check against llvm-objdump is test/binary/coverage.test.ts.)

import { describe, expect, it } from 'vitest';
import { MachineCfg } from '../../src/binary/cfg.js';
import { sectionOffset } from '../../src/binary/offsets.js';
import type { DecodedInstruction, Flow } from '../../src/binary/x86/decode.js';

/** Instruction i sits at offset 10·i; `to` is the index a branch goes to. */
function insn(i: number, flow: Flow = 'next', to?: number, registersWritten: string[] = []): DecodedInstruction {
  return {
    offset: sectionOffset(10 * i),
    length: 10,
    mnemonic: flow,
    writes: [],
    flow,
    ...(to !== undefined ? { branchTarget: sectionOffset(10 * to) } : {}),
    registersWritten,
  };
}

// 0 W1; 1 jcc 4; 2 mov rbx; 3 jmp 5; 4 nop; 5 W2; 6 ret
const diamond = [
  insn(0),
  insn(1, 'conditional', 4),
  insn(2, 'next', undefined, ['rbx']),
  insn(3, 'branch', 5),
  insn(4),
  insn(5),
  insn(6, 'return'),
];

describe('MachineCfg', () => {
  it('splits blocks at branches and targets, and computes dominators', () => {
    const g = new MachineCfg(diamond, new Set());
    expect(g.blocks.map((b) => [b.start, b.end])).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
      [5, 7],
    ]);
    expect(g.dominates(0, 3)).toBe(true);
    expect(g.dominates(1, 3)).toBe(false);
    expect(g.dominates(2, 3)).toBe(false);
  });

  it('a place a relocation names is a root: what it reaches is no longer dominated', () => {
    const g = new MachineCfg(diamond, new Set([40]));
    expect(g.blocks[2]!.root).toBe(true);
    expect(g.dominates(0, 3)).toBe(false);
  });

  it('lists the instructions on both arms and says every path reaches', () => {
    const g = new MachineCfg(diamond, new Set());
    const p = g.between(0, 5)!;
    expect([...p.instructions].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(p.mustReach).toBe(true);
    expect(g.between(5, 0)).toBeUndefined();
  });

  it('an arm that returns, traps or loops breaks "every path reaches"', () => {
    const ret = [insn(0), insn(1, 'conditional', 3), insn(2, 'return'), insn(3), insn(4, 'return')];
    expect(new MachineCfg(ret, new Set()).between(0, 3)!.mustReach).toBe(false);
    const trap = [insn(0), insn(1, 'conditional', 3), insn(2, 'interrupt'), insn(3), insn(4, 'return')];
    const t = new MachineCfg(trap, new Set()).between(0, 3)!;
    expect(t.mustReach).toBe(false);
    expect(t.instructions).toContain(2); // a WARN's ud2 comes back to the next instruction: it is on a path
    const loop = [insn(0), insn(1), insn(2, 'conditional', 1), insn(3), insn(4, 'return')];
    const l = new MachineCfg(loop, new Set()).between(0, 3)!;
    expect(l.mustReach).toBe(false);
    expect([...l.instructions].sort()).toEqual([0, 1, 2]);
  });

  it('a loop back to the covered instruction puts all of it on the paths', () => {
    // 0 W1; 1 jmp 2; 2 W2; 3 jcc 2; 4 ret
    const g = new MachineCfg([insn(0), insn(1, 'branch', 2), insn(2), insn(3, 'conditional', 2), insn(4, 'return')], new Set());
    const p = g.between(0, 2)!;
    expect([...p.instructions].sort()).toEqual([0, 1, 2, 3]);
    expect(p.mustReach).toBe(true);
  });

  it('a path round a loop through the covering instruction is not a path between', () => {
    // 0 nop; 1 W1; 2 jcc 1 (back to W1's block); 3 W2
    const g = new MachineCfg([insn(0), insn(1), insn(2, 'conditional', 1), insn(3), insn(4, 'return')], new Set());
    expect(g.between(1, 3)!.instructions).toEqual([1, 2]);
    expect(g.between(1, 3)!.mustReach).toBe(true);
  });
});
