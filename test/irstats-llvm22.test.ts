// The reader agrees with LLVM 22 on real clang-22 IR: examples/kcdemo built
// with kbuild's LLVM=-22 against the corpus kbuild headers tree
// (scripts/e2e/build-module.sh --ir-only), summarized by us and by irstats
// built against libLLVM-22 (.cache/irstats-22, scripts/setup.sh), run live.
// The IR must really carry what LLVM 20–22 added, or the agreement proves
// nothing about it. Kernel TUs compiled with clang-22 are the benchmark
// scripts/llvm22-kernel.sh (too heavy for CI: a configured kernel tree).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKcdemo } from '../scripts/e2e/kcdemo.js';
import { type IrStats, readModule, summarizeModule } from '../src/index.js';

const root = join(import.meta.dirname, '..');
const irstats22 = join(root, '.cache/irstats-22');
const tmp = mkdtempSync(join(tmpdir(), 'kcompart-llvm22-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let ll = '';
beforeAll(async () => {
  ll = (await buildKcdemo(tmp, { llvm: 22, irOnly: true })).ll;
}, 180_000);

describe('kcdemo built with clang-22 agrees with LLVM 22 irstats', () => {
  it('has the oracle binary (scripts/setup.sh builds it)', () => {
    expect(existsSync(irstats22), `${irstats22} is missing: run scripts/setup.sh`).toBe(true);
  });
  it('is clang-22 IR with the syntax LLVM 20–22 added', () => {
    const text = readFileSync(ll, 'utf8');
    expect(text).toMatch(/producer: "Debian clang version 22\./);
    for (const construct of [
      'captures(none)',
      'icmp samesign',
      '#dbg_assign(',
      'trunc nuw',
      'getelementptr inbounds nuw',
      'atomGroup:',
      'keyInstructions: true',
    ]) {
      expect(text.includes(construct), construct).toBe(true);
    }
  });
  it('has the summary irstats-22 prints, function by function', async () => {
    const want: IrStats = JSON.parse(execFileSync(irstats22, [ll], { encoding: 'utf8', maxBuffer: 64 << 20 }));
    const got = summarizeModule(await readModule(ll));
    expect(got.totals).toEqual(want.totals);
    expect(want.totals.defined).toBeGreaterThan(10);
    expect(want.totals.debugRecords).toBeGreaterThan(100);
    expect(got.source).toEqual(want.source);
    expect(got.functions.map((f) => f.name)).toEqual(want.functions.map((f) => f.name));
    for (let i = 0; i < want.functions.length; i++) {
      expect(got.functions[i], `function ${want.functions[i]!.name}`).toEqual(want.functions[i]);
    }
  });
});
