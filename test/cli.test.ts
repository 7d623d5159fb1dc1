// The kcompart command: analyze writes a valid policy and CSV with a summary;
// bad usage and bad inputs get one clear line and a non-zero exit, and no file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
    expect(r.stdout).toMatch(/accesses\s+20;/);
    expect(r.stdout).toMatch(/widened to any\s+\d/);
    const p = await readPolicy(out);
    expect(p.accesses).toHaveLength(20);
    expect(await readAccessesCsv(csv)).toEqual(p.accesses);
    expect(r.stderr).toMatch(/solving points-to/);
  });
  it('takes a writer table (--writers): calls of a listed function become writes through its destination argument', () => {
    const writers = join(dir, 'w.json');
    // ext_item() has no argument: a writer entry for it names a destination that is not there
    writeFileSync(
      writers,
      JSON.stringify({
        writers: [
          { name: 'holder_fill', destination: 0, length: 16 },
          { name: 'ext_item', destination: 0 },
        ],
      }),
    );
    const r = run('analyze', '--compartment', fixture, '--writers', writers, '-o', join(dir, 'w.policy.json'), '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).accesses).toBe(21);
  });
  it('takes directories and globs', () => {
    const r = run('analyze', '--compartment', join(root, 'test/fixtures/analysis/fl*.ll'), '-o', join(dir, 'g.json'), '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).accesses).toBe(20);
  });
  it('reads the context as cached per-TU summaries (--context-summaries), closed world on request', async () => {
    const callee = join(root, 'test/fixtures/summary/args-callee.ll');
    const caller = join(root, 'test/fixtures/summary/args-caller.ll');
    const legal = (file: string, fn: string) => readPolicy(file).then((p) => p.accesses.find((a) => a.function === fn)!.legal);
    const open = join(dir, 'open.json');
    const closed = join(dir, 'closed.json');
    let r = run('analyze', '--compartment', callee, '--context-summaries', caller, '-o', open);
    expect(r.status, r.stderr).toBe(0);
    r = run('analyze', '--compartment', callee, '--context-summaries', caller, '--closed-world', '-o', closed);
    expect(r.status, r.stderr).toBe(0);
    // `fill(char *)` of an exported function: anything while a caller may be outside; the
    // caller's stack slot and `gbuf` when the context holds every caller
    expect((await legal(open, 'fill')).any).toBe(true);
    expect(await legal(closed, 'fill')).toMatchObject({ any: false, stack: true, globals: ['gbuf'] });
  });
  it('refuses --closed-world without --context-summaries, and both kinds of context at once', () => {
    const callee = join(root, 'test/fixtures/summary/args-callee.ll');
    const caller = join(root, 'test/fixtures/summary/args-caller.ll');
    let r = run('analyze', '--compartment', callee, '--context', caller, '--closed-world', '-o', join(dir, 'x.json'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--closed-world needs --context-summaries/);
    r = run('analyze', '--compartment', callee, '--context', caller, '--context-summaries', caller, '-o', join(dir, 'x.json'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/either as --context or as --context-summaries/);
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
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
    const writers = join(dir, 'writers.json');
    writeFileSync(writers, JSON.stringify({ writers: [{ name: 'fill', destination: -1 }] }));
    const badWriters = run('analyze', '--compartment', fixture, '--writers', writers, '-o', out);
    expect(badWriters.status).toBe(1);
    expect(badWriters.stderr).toMatch(/writers\.json: writers\[0\]\.destination/);
    writeFileSync(writers, JSON.stringify({ writers: [{ name: 'fill', destination: 0, lengthArgument: 1, extra: 1 }] }));
    expect(run('analyze', '--compartment', fixture, '--writers', writers, '-o', out).stderr).toMatch(/writers\[0\]: Unrecognized key/);
    const ll = join(dir, 'bad.ll');
    writeFileSync(ll, 'define void @f() {\n  ret i32\n}\n');
    const badIr = run('analyze', '--compartment', ll, '-o', out);
    expect(badIr.status).toBe(1);
    expect(badIr.stderr).toMatch(/bad\.ll:3:1: expected a constant of type i32/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('kcompart map', () => {
  it('maps an analyzed policy onto the object clang builds from the same source', () => {
    const obj = join(dir, 'flows.o');
    const cc = spawnSync(
      'clang-19',
      [
        '-O2',
        '-g',
        '-gdwarf-5',
        '-c',
        '-target',
        'x86_64-unknown-linux-gnu',
        '-mcmodel=kernel',
        '-fno-pic',
        '-ffreestanding',
        '-nostdinc',
        '-fdebug-compilation-dir=.',
        '-fno-discard-value-names',
        'test/fixtures/analysis/flows.c',
        '-o',
        obj,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(cc.status, cc.stderr).toBe(0);
    const policy = join(dir, 'flows.json');
    expect(run('analyze', '--compartment', fixture, '-o', policy).status).toBe(0);
    const mapped = join(dir, 'flows.mapped.json');
    const r = run('map', policy, '--objects', obj, '-o', mapped, '--json');
    expect(r.status, r.stderr).toBe(0);
    const stats = JSON.parse(r.stdout);
    expect(stats.accesses).toBe(20);
    expect(stats.mapped).toBeGreaterThanOrEqual(12);
  });
  it('names a missing object and refuses a policy that does not validate', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"schema":"kcompart.policy"}');
    const good = join(dir, 'good.json');
    expect(run('analyze', '--compartment', fixture, '-o', good).status).toBe(0);
    const r1 = run('map', good, '--objects', join(dir, 'none.o'), '-o', join(dir, 'm.json'));
    expect(r1.status).toBe(2);
    expect(r1.stderr).toMatch(/no such file/);
    writeFileSync(join(dir, 'x.o'), 'not an elf');
    const r3 = run('map', good, '--objects', join(dir, 'x.o'), '-o', join(dir, 'm.json'));
    expect(r3.status).toBe(1);
    expect(r3.stderr).toMatch(/x\.o/);
    const r2 = run('map', bad, '--objects', join(dir, 'x.o'), '-o', join(dir, 'm.json'));
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/bad\.json: (version|generator|compartment)/);
    expect(existsSync(join(dir, 'm.json'))).toBe(false);
  });
});

describe('kcompart emit', () => {
  it('writes the BPF C, seed and headers of a mapped policy and compiles them against the corpus BTF', () => {
    const obj = join(dir, 'e.o');
    const cc = spawnSync(
      'clang-19',
      [
        '-O2',
        '-g',
        '-gdwarf-5',
        '-c',
        '-target',
        'x86_64-unknown-linux-gnu',
        '-mcmodel=kernel',
        '-fno-pic',
        '-ffreestanding',
        '-nostdinc',
        '-fdebug-compilation-dir=.',
        'test/fixtures/analysis/flows.c',
        '-o',
        obj,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(cc.status, cc.stderr).toBe(0);
    const p = join(dir, 'e.json');
    const m = join(dir, 'e.mapped.json');
    expect(run('analyze', '--compartment', fixture, '-o', p).status).toBe(0);
    expect(run('map', p, '--objects', obj, '-o', m).status).toBe(0);
    const out = join(dir, 'bpf');
    const btf = join(root, '../shared/corpus/linux-6.1/kernel/vmlinux.btf');
    const r = run('emit', m, '--out', out, '--compile', '--btf', btf, '--json');
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.programs).toBeGreaterThan(0);
    expect(s.compiled).toMatchObject({ objects: 1, warnings: 0 });
    expect(existsSync(s.compiled.loader)).toBe(true);
    for (const f of ['kcompart.bpf.c', 'kcompart.bpf.o', 'kcompart.seed.json', 'kcompart.h', 'checker.bpf.h']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
  });
  it('refuses usage without --out and an unreadable BTF', () => {
    expect(run('emit', join(dir, 'e.mapped.json')).status).toBe(2);
    const r = run('emit', join(dir, 'e.mapped.json'), '--out', join(dir, 'bpf2'), '--compile', '--btf', join(dir, 'nope.btf'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no BTF at/);
  });
  it('--site-programs: data by default, per-site on request, a usage error otherwise', () => {
    const m = join(dir, 'e.mapped.json');
    const data = JSON.parse(run('emit', m, '--out', join(dir, 'bpf3'), '--json').stdout);
    const per = JSON.parse(run('emit', m, '--out', join(dir, 'bpf4'), '--site-programs', 'per-site', '--json').stdout);
    expect(data).toMatchObject({ siteMode: 'data', sitePrograms: 1 });
    expect(per).toMatchObject({ siteMode: 'per-site', sitePrograms: per.programs });
    expect(per.programs).toBe(data.programs);
    const bad = run('emit', m, '--out', join(dir, 'bpf5'), '--site-programs', 'fast');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--site-programs takes data or per-site, not fast/);
  });
  it('says WIDENED when a site names more global ranges than the checker searches (the loader lets it write anything)', () => {
    const m = join(dir, 'e.mapped.json');
    const plain = run('emit', m, '--out', join(dir, 'bpf6'));
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).not.toMatch(/WIDENED/);
    // every site of every checked access names 65,537 globals: more than kc_globals holds
    const policy = JSON.parse(readFileSync(m, 'utf8'));
    const many = Array.from({ length: 65_537 }, (_, k) => `g${k}`);
    for (const a of policy.accesses) if (!a.legal.any) a.legal.globals = many;
    const wide = join(dir, 'wide.mapped.json');
    writeFileSync(wide, JSON.stringify(policy));
    const r = run('emit', wide, '--out', join(dir, 'bpf7'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /WIDENED +\d+ site programs name more global ranges than the checker searches \(65536\): the loader lets them write any memory/,
    );
  });
});

describe('kcompart run, --help and --version', () => {
  it('runs analyze, map and emit in one directory through the pipeline, with one JSON summary', () => {
    const obj = join(dir, 'r.o');
    const cc = spawnSync(
      'clang-19',
      [
        '-O2',
        '-g',
        '-gdwarf-5',
        '-c',
        '-target',
        'x86_64-unknown-linux-gnu',
        '-mcmodel=kernel',
        '-fno-pic',
        '-ffreestanding',
        '-nostdinc',
        '-fdebug-compilation-dir=.',
        'test/fixtures/analysis/flows.c',
        '-o',
        obj,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(cc.status, cc.stderr).toBe(0);
    const out = join(dir, 'run');
    const r = run('run', '--compartment', fixture, '--objects', obj, '--out', out, '--name', 'flows', '--no-compile', '--json');
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.analyze.accesses).toBe(20);
    expect(s.map.accesses).toBe(20);
    expect(s.emit.programs).toBeGreaterThan(0);
    expect(s.compiled).toBeUndefined();
    for (const f of ['policy.json', 'policy.mapped.json', 'flows.bpf.c', 'flows.seed.json']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(s.written).toContain(join(out, 'policy.mapped.json'));
    // progress on stderr, stage by stage
    expect(r.stderr).toMatch(/analyze: solving points-to/);
    expect(r.stderr).toMatch(/map: reading r\.o \(1\/1\)/);
    expect(r.stderr).toMatch(/emit: eBPF C for \d+ checked machine sites/);
  });
  it('answers --help for every command and --version', () => {
    for (const cmd of ['collect', 'analyze', 'map', 'emit', 'run', 'report']) {
      const r = run(cmd, '--help');
      expect(r.status, cmd).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: kcompart ${cmd} `));
      expect(r.stdout).toMatch(/--json/);
    }
    const top = run('--help');
    expect(top.status).toBe(0);
    expect(top.stdout).toMatch(/collect .*\n.*analyze .*\n.*map .*\n.*emit .*\n.*run /);
    const v = run('--version');
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
  it('takes --json the same way in every command (an unknown option is bad usage)', () => {
    expect(run('map', '--json', '--frobnicate').status).toBe(2);
    const r = run('run', '--compartment', fixture, '--out', join(dir, 'x'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--objects is required/);
  });
});
