// factorOf (analysis/sizes.ts): the number a size the IR computes is always a multiple of, which
// tells an array of a container's first member from the container (legal.ts). Each function of
// the hand-written module returns a size its name gives the factor of.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { factorOf, factorOfSize } from '../../src/analysis/sizes.js';
import { parseModule } from '../../src/index.js';

const file = join(import.meta.dirname, '../fixtures/analysis/factors.ll');
const module = parseModule(readFileSync(file), { filename: file });
const returned = (name: string) => {
  const fn = module.functions.find((f) => f.name === name)!;
  const ret = fn.blocks.flatMap((b) => b.instructions).find((i) => i.opcode === 'ret')!;
  return ret.operands[0]!;
};

describe('the factor of a size', () => {
  it('follows products, shifts and llvm.umul.with.overflow', () => {
    expect(factorOf(returned('shl_16'))).toBe(16n);
    expect(factorOf(returned('umul_24'))).toBe(24n);
  });
  it('takes the common divisor of sums and selects, a negative constant by its magnitude', () => {
    expect(factorOf(returned('minus_8'))).toBe(8n); // n * 24 - 16
    expect(factorOf(returned('select_8'))).toBe(8n); // c ? n * 40 : 16
  });
  it('keeps only the power of two through a truncation, and claims nothing it cannot see', () => {
    expect(factorOf(returned('trunc_8'))).toBe(8n); // (u32)(n * 24)
    expect(factorOf(returned('phi_loop_1'))).toBe(1n); // 32, then + n each round
    expect(factorOf(returned('unknown_1'))).toBe(1n);
  });
  it("of an expression over a call's arguments, from each argument's", () => {
    const arg = (i: number) => [16n, 3n][i]!;
    expect(factorOfSize({ k: 'bin', op: 'mul', a: { k: 'arg', i: 0 }, b: { k: 'const', v: 3n } }, arg)).toBe(48n);
    expect(factorOfSize({ k: 'bin', op: 'add', a: { k: 'arg', i: 0 }, b: { k: 'const', v: (1n << 64n) - 8n } }, arg)).toBe(8n);
    expect(factorOfSize({ k: 'bin', op: 'udiv', a: { k: 'arg', i: 0 }, b: { k: 'const', v: 2n } }, arg)).toBe(1n);
  });
});
