// The kcompart command: analyze writes a valid policy and CSV with a summary;
// bad usage and bad inputs get one clear line and a non-zero exit, and no file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAccessesCsv, readPolicy } from '../src/index.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist/src/cli/main.js');
const fixture = join(root, 'test/fixtures/analysis/flows.ll');
const dir = mkdtempSync(join(tmpdir(), 'kcompart-cli-'));
const run = (...args: string[]) => {
  if (!existsSync(cli)) throw new Error(`${cli} missing: run scripts/setup.sh (it builds dist/)`);
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
};

describe('kcompart analyze', () => {
  it('writes a policy and a CSV and prints a summary', async () => {
    const out = join(dir, 'p.json');
    const csv = join(dir, 'p.csv');
    const r = run('analyze', '--compartment', fixture, '-o', out, '--csv', csv);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/accesses\s+9;/);
    expect(r.stdout).toMatch(/widened to any\s+\d/);
    const p = await readPolicy(out);
    expect(p.accesses).toHaveLength(9);
    expect(await readAccessesCsv(csv)).toEqual(p.accesses);
    expect(r.stderr).toMatch(/solving points-to/);
  });
  it('takes directories and globs', () => {
    const r = run('analyze', '--compartment', join(root, 'test/fixtures/analysis/fl*.ll'), '-o', join(dir, 'g.json'), '--json-summary');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).accesses).toBe(9);
  });
  it('refuses bad usage with exit 2', () => {
    expect(run().status).toBe(2);
    const r = run('analyze', '-o', join(dir, 'x.json'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--compartment is required/);
    expect(run('frobnicate').status).toBe(2);
  });
  it('names a missing input, a bad allocator file and bad IR, writing nothing', () => {
    const out = join(dir, 'none.json');
    const missing = run('analyze', '--compartment', join(dir, 'nope.ll'), '-o', out);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no such file: .*nope\.ll/);
    const alloc = join(dir, 'alloc.json');
    writeFileSync(alloc, JSON.stringify({ allocators: [{ name: 'x', kind: 'heap', returns: 'object' }] }));
    const bad = run('analyze', '--compartment', fixture, '--allocators', alloc, '-o', out);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/alloc\.json: allocators\[0\]\.kind/);
    const ll = join(dir, 'bad.ll');
    writeFileSync(ll, 'define void @f() {\n  ret i32\n}\n');
    const badIr = run('analyze', '--compartment', ll, '-o', out);
    expect(badIr.status).toBe(1);
    expect(badIr.stderr).toMatch(/bad\.ll:3:1: expected a constant of type i32/);
    expect(existsSync(out)).toBe(false);
  });
});
