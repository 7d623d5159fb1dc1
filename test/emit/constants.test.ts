// Tests that the C constants have one definition: src/emit/constants.ts is
// what scripts/gen-constants.ts makes from runtime/include/kcompart.h today
// (run `npm run gen:constants` after changing the header), the generator
// evaluates C integer expressions exactly, and the loader's counter names
// (report.c) follow enum kc_counter slot by slot.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEADER, OUTPUT, constantsModule, evaluate, readHeaderConstants } from '../../scripts/gen-constants.js';
import { KC, KC_COUNTER } from '../../src/emit/index.js';
import { ROOT } from './support/bpf.js';

const header = readFileSync(join(ROOT, HEADER), 'utf8');

describe('C constants (runtime/include/kcompart.h → src/emit/constants.ts)', () => {
  it('the committed src/emit/constants.ts is up to date with the header (else: npm run gen:constants)', () => {
    expect(readFileSync(join(ROOT, OUTPUT), 'utf8')).toBe(constantsModule(header));
  });

  it('every KC_ integer macro and counter of the header is in the TypeScript view, with its value', () => {
    const { defines, counters } = readHeaderConstants(header);
    expect(defines.length).toBeGreaterThan(40);
    for (const d of defines) expect(BigInt((KC as Record<string, number | bigint>)[d.name.slice(3)]!), d.name).toBe(d.value);
    expect(counters.map((c) => c.name.slice(7))).toEqual(Object.keys(KC_COUNTER));
    expect(KC.R_ANY).toBe(2 ** 31);
    expect(KC.PAGE_SIZE).toBe(4096);
    expect(KC.L4_PAGE_OFFSET).toBe(0xffff888000000000n);
    expect(KC_COUNTER.MAX).toBe(counters.length - 1);
  });

  it('evaluates C integer expressions exactly', () => {
    const known = new Map([['KC_A', 12n]]);
    expect(evaluate('(1u << 31)', known)).toBe(2147483648n);
    expect(evaluate('(1ULL << KC_A)', known)).toBe(4096n);
    expect(evaluate('(256 * 1024)', known)).toBe(262144n);
    expect(evaluate('0xffff888000000000ULL', known)).toBe(0xffff888000000000n);
    expect(evaluate('(25ULL << 49)', known)).toBe(25n << 49n);
    expect(evaluate('1 + 2 * 3', known)).toBe(7n);
    expect(() => evaluate('KC_B', known)).toThrow(/unknown name/);
    expect(() => evaluate('(1', known)).toThrow();
  });

  it("the loader's counter names (report.c) follow enum kc_counter", () => {
    const report = readFileSync(join(ROOT, 'runtime', 'loader', 'report.c'), 'utf8');
    const names = Object.fromEntries([...report.matchAll(/\[KC_CNT_(\w+)\] = "(\w+)"/g)].map((m) => [m[1]!, m[2]!]));
    expect(Object.keys(names).sort()).toEqual(
      Object.keys(KC_COUNTER)
        .filter((k) => k !== 'MAX')
        .sort(),
    );
    for (const [k, v] of Object.entries(names)) expect(v, k).toBe(k.toLowerCase());
  });
});
