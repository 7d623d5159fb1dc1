// The published package: `npm pack` makes a tarball that installs into a
// fresh project, whose `kcompart` binary answers --help and --version, whose
// bundled example runs, and whose subpath exports (`kcompart/ir`,
// `kcompart/pipeline`, …) resolve for a consumer's own ESM script — the
// exports map and the `files` list exercised the way a user meets them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'kcompart-pack-'));
const project = join(work, 'consumer');

describe('npm pack, installed into a fresh project', () => {
  beforeAll(() => {
    // dist/ is built by scripts/setup.sh; pack what is there
    execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack made no tarball');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
    // dependencies come from the registry (or npm's cache when they are there already)
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=dev', join(work, tarball)], {
      cwd: project,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('holds the built library, the run time, the schema and the licence, and no sources or tests', () => {
    const listing = execFileSync('tar', ['tzf', join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!)], {
      encoding: 'utf8',
    }).split('\n');
    expect(listing).toContain('package/dist/src/index.js');
    expect(listing).toContain('package/dist/src/cli/main.js');
    expect(listing).toContain('package/LICENSE');
    expect(listing).toContain('package/schema/policy.schema.json');
    expect(
      listing.some((f) => /^package\/runtime\/bpf\/checker\.bpf\.h$/.test(f)),
      'the BPF run time',
    ).toBe(true);
    expect(listing.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/') || f.startsWith('package/dist/test/'))).toBe(
      false,
    );
  });

  it('installs a kcompart binary that answers --help and --version', () => {
    const bin = join(project, 'node_modules', '.bin', 'kcompart');
    const help = spawnSync(bin, ['--help'], { encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/usage: kcompart <command>/);
    expect(spawnSync(bin, ['run', '--help'], { encoding: 'utf8' }).stdout).toMatch(/^usage: kcompart run /);
    expect(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('runs the bundled library example from the installed package', () => {
    const pkg = join(project, 'node_modules', 'kcompart');
    const out = execFileSync(process.execPath, [join(pkg, 'dist/examples/summary.js'), join(pkg, 'examples/data/minicompart.ll')], {
      encoding: 'utf8',
    });
    expect(out).toMatch(/functions: 3 defined, 3 declared/);
  });

  it('resolves the root and subpath exports from a consumer script', () => {
    const script = join(project, 'use.mjs');
    writeFileSync(
      script,
      `
import { parseModule, ParseError } from 'kcompart/ir';
import { buildCompartment, InputError } from 'kcompart/pipeline';
import * as root from 'kcompart';
import * as binary from 'kcompart/binary';
const m = parseModule('define void @f() {\\n  ret void\\n}\\n', { filename: 'x.ll' });
let bad = '';
try { parseModule('define void @f() {\\n  ret i32\\n}\\n', { filename: 'bad.ll' }); } catch (e) { bad = e instanceof ParseError ? e.message : 'other'; }
let input = '';
try { await buildCompartment({ compartment: ['/nonexistent/x.ll'] }); } catch (e) { input = e instanceof InputError ? e.message : String(e); }
console.log(JSON.stringify({
  functions: m.functions.length, bad, input,
  rootHasPipeline: typeof root.buildCompartment === 'function', rootHasMapper: typeof root.mapSitesToAddresses === 'function',
  internals: ['skipFormValue', 'readFormValue', 'AbbreviationTable'].filter((k) => k in root || k in binary),
  inputError: typeof InputError,
}));
`,
    );
    const r = JSON.parse(execFileSync(process.execPath, [script], { cwd: project, encoding: 'utf8' }));
    expect(r.functions).toBe(1);
    expect(r.bad).toMatch(/bad\.ll:3:1: expected a constant of type i32/);
    expect(r.rootHasPipeline).toBe(true);
    expect(r.rootHasMapper).toBe(true);
    expect(r.internals).toEqual([]);
    expect(r.inputError).toBe('function');
    // a missing input is the library's typed error, naming the file
    expect(r.input).toBe('no such file: /nonexistent/x.ll');
  });
});
