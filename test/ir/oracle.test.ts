// Every hand-written fixture is read exactly as LLVM 19 reads it: the summary
// equals what the irstats oracle (built by scripts/setup.sh) prints, live.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModule, summarizeModule } from '../../src/index.js';

const root = join(import.meta.dirname, '../..');
const irstats = join(root, '.cache/irstats-19');
const fixtures = join(root, 'test/fixtures/ir');

describe('hand-written fixtures agree with LLVM 19 (irstats, run live)', () => {
  it('has the oracle binary (scripts/setup.sh builds it)', () => {
    expect(existsSync(irstats), `${irstats} is missing: run scripts/setup.sh`).toBe(true);
  });
  for (const f of readdirSync(fixtures)
    .filter((n) => n.endsWith('.ll'))
    .sort()) {
    it(f, async () => {
      const file = join(fixtures, f);
      const want = JSON.parse(execFileSync(irstats, [file], { encoding: 'utf8' }));
      expect(summarizeModule(await readModule(file))).toEqual(want);
    });
  }
});
