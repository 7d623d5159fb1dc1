// The old-object classifier (src/classify, issue 10 item 3) on the corpus BTF and System.map and on
// a small sample recorded in the guest by the object sampler (test/fixtures/classify/samples.bin,
// written by `node dist/bench/classify.js --samples … --fixture …`: four objects of each of the 46
// types met). The VM-sized measurement is `npm run bench:classify`.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  classifyObject,
  encodeSamples,
  evaluateAll,
  handScorer,
  labelFor,
  labelSamples,
  labelLayout,
  listScore,
  measure,
  type ObjectSample,
  observe,
  opsScore,
  parseSamples,
  readSamples,
  RECORD_SIZE,
  readSymbols,
  SampleFileError,
  type SymbolTable,
  split,
  structLayout,
  trainLearned,
  typeStem,
  valueClass,
} from '../../src/classify/index.js';
import { type BtfTypes as Btf, readBtfFile as readBtf } from '../../src/btf/index.js';
import { buildSampler } from '../../scripts/classify/gather.js';
import { repoRoot } from '../../scripts/lib/paths.js';

const ROOT = repoRoot(import.meta.dirname);
const KERNEL = join(process.env['KCOMPART_CORPUS'] ?? resolve(ROOT, '..', 'shared', 'corpus'), 'linux-6.1', 'kernel');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'classify', 'samples.bin');

let btf: Btf;
let syms: SymbolTable;
beforeAll(() => {
  btf = readBtf(join(KERNEL, 'vmlinux.btf'));
  syms = readSymbols(join(KERNEL, 'System.map'));
});

/** The byte offset of member `name` of struct `struct` (top level). */
function offsetOf(struct: string, name: string): number {
  const t = btf.types[btf.structs.get(struct)!]!;
  const m = t.members!.find((x) => x.name === name);
  if (!m) throw new Error(`${struct}.${name} not in BTF`);
  return m.bitOffset / 8;
}

describe('BTF layouts of the corpus kernel', () => {
  it('reads struct sizes as pahole has them', () => {
    expect(btf.sizeOf(btf.structs.get('cred')!)).toBe(176);
    expect(btf.sizeOf(btf.structs.get('sk_buff')!)).toBe(232);
    expect(btf.sizeOf(btf.structs.get('list_head')!)).toBe(16);
  });

  it('gives each word of struct file its kind: f_op an ops pointer, f_lock a scalar, the rest by type', () => {
    const l = structLayout(btf, 'file')!;
    expect(l.size).toBe(232);
    expect(l.words[offsetOf('file', 'f_op') / 8]).toBe('ops');
    expect(l.words[offsetOf('file', 'f_inode') / 8]).toBe('ptr');
    expect(l.words[offsetOf('file', 'f_flags') / 8]).toBe('scalar');
    expect(l.words[offsetOf('file', 'f_ep') / 8]).toBe('ptr');
    expect(l.words[29]).toBe('beyond'); // 232 bytes: words 29.. are past the struct
  });

  it('marks list_head links and function pointers', () => {
    const vma = structLayout(btf, 'anon_vma_chain')!;
    expect(vma.words[offsetOf('anon_vma_chain', 'same_vma') / 8]).toBe('list');
    expect(vma.words[offsetOf('anon_vma_chain', 'same_vma') / 8 + 1]).toBe('list');
    const seqops = structLayout(btf, 'seq_operations')!;
    expect(seqops.words.slice(0, 4)).toEqual(['fnptr', 'fnptr', 'fnptr', 'fnptr']);
    expect(labelLayout(btf, 'pipe_buffer[]')!.words[5]).toBe(labelLayout(btf, 'pipe_buffer[]')!.words[0]); // 40-byte elements repeat
  });
});

describe('value classes', () => {
  it('sorts words by the x86-64 address map and the symbol table', () => {
    const self = 0xffff888004000000n;
    const initCred = syms.byName.get('init_cred')!;
    expect(valueClass(0n, self, 64, syms)).toBe('zero');
    expect(valueClass(self + 8n, self, 64, syms)).toBe('self');
    expect(valueClass(0xffff888012345678n, self, 64, syms)).toBe('direct');
    expect(valueClass(syms.byName.get('commit_creds')!, self, 64, syms)).toBe('text');
    expect(valueClass(initCred, self, 64, syms)).toBe('sym');
    expect(valueClass(initCred + 8n, self, 64, syms)).toBe('data');
    expect(valueClass(0xdead000000000122n, self, 64, syms)).toBe('poison');
    expect(valueClass(0x4141414141414141n, self, 64, syms)).toBe('other');
    expect(valueClass(0xffffea0000040000n, self, 64, syms)).toBe('vmemmap');
  });
});

describe('the sampler file', () => {
  it('round-trips and refuses truncated records with the offset', () => {
    const s = readSamples(FIXTURE);
    expect(s.length).toBeGreaterThan(100);
    expect(parseSamples(encodeSamples(s))).toEqual(s);
    const buf = readFileSync(FIXTURE);
    expect(() => parseSamples(buf.subarray(0, buf.length - 1), 'cut.bin')).toThrow(SampleFileError);
    expect(() => parseSamples(Buffer.alloc(8), 'zero.bin')).toThrow(/zero\.bin: at byte 0: expected the magic/);
  });
});

describe('labels', () => {
  const pipe = (bytesReq: number): ObjectSample => ({
    ptr: 0xffff888004000000n,
    callSite: syms.byName.get('alloc_pipe_info')! + 0x40n,
    cache: 0n,
    cacheName: 'kmalloc-1k',
    objectSize: 1024,
    bytesReq,
    how: 2,
    bytes: Buffer.alloc(256),
  });
  it('labels a kmalloc object by its call site only when the requested size fits the type', () => {
    const size = (t: string) => (btf.structs.has(t) ? btf.sizeOf(btf.structs.get(t)!) : undefined);
    expect(labelFor(pipe(168), syms, size)).toBe('pipe_inode_info');
    expect(labelFor(pipe(640), syms, size)).toBe('pipe_buffer[]');
    expect(labelFor(pipe(100), syms, size)).toBeUndefined();
    expect(labelFor({ ...pipe(0), cacheName: 'cred_jar', callSite: 0n }, syms, size)).toBe('cred');
  });
});

describe('the classifier on the recorded fixture', () => {
  it('labels every fixture object and finds a BTF layout for each type', () => {
    const { stats, universe } = labelSamples(readSamples(FIXTURE), btf, syms);
    expect(stats.unlabelled).toBe(0);
    expect(stats.noLayout.size).toBe(0);
    expect(universe.layouts.size).toBe(46);
  });

  it('learned weights, trained on half, classify the other half from the bytes alone (blind) at >= 95 %', () => {
    const { labelled, universe } = labelSamples(readSamples(FIXTURE), btf, syms);
    const { train, test } = split(labelled);
    const m = measure(universe, trainLearned(train, syms), test, 'blind');
    expect(m.total).toBeGreaterThan(40);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('hand rules name the type of objects in general kmalloc caches from their bytes (>= 80 %)', () => {
    const { labelled, universe } = labelSamples(readSamples(FIXTURE), btf, syms);
    const kmalloc = labelled.filter((l) => l.obs.cacheName.startsWith('kmalloc-'));
    const m = measure(universe, handScorer, kmalloc, 'cache');
    expect(m.total).toBeGreaterThan(30);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.8);
  });

  it('a seq_operations whose function pointers are overwritten with garbage is no longer taken for one', () => {
    const { labelled, universe } = labelSamples(readSamples(FIXTURE), btf, syms);
    const ops = labelled.find((l) => l.label === 'seq_operations')!;
    expect(classifyObject(universe, handScorer, ops.obs, 'cache').type).toBe('seq_operations');
    const bad = Buffer.from(ops.sample.bytes);
    for (let p = 0; p < 32; p += 8) bad.writeBigUInt64LE(0x4141414141414141n, p);
    const forged = observe({ ...ops.sample, bytes: bad }, syms);
    expect(classifyObject(universe, handScorer, forged, 'cache').type).not.toBe('seq_operations');
  });

  it('scores a list_head pair: both at the head (empty list) above one link zero and one not', () => {
    const l = structLayout(btf, 'anon_vma_chain')!;
    const at = offsetOf('anon_vma_chain', 'same_vma') / 8;
    const ptr = 0xffff888004000000n;
    const words = new Array<bigint>(8).fill(0n);
    words[at] = ptr + BigInt(at * 8);
    words[at + 1] = ptr + BigInt(at * 8);
    const obs = (w: bigint[]) => ({
      cacheName: 'anon_vma_chain',
      objectSize: 64,
      ptr,
      words: w,
      classes: w.map((v) => valueClass(v, ptr, 64, syms)),
    });
    const empty = listScore(l, obs(words));
    const broken = [...words];
    broken[at + 1] = 0n;
    expect(empty).toBeGreaterThan(listScore(l, obs(broken)));
    const linked = [...words];
    linked[at] = 0xffff888012340000n;
    linked[at + 1] = 0xffff888012350000n;
    expect(empty).toBeGreaterThan(listScore(l, obs(linked)));
    expect(listScore(l, obs(linked))).toBeGreaterThan(0);
    expect(listScore(l, obs(broken))).toBeLessThan(0);
  });

  it('the ops rule rewards a socket whose sk_prot names its own protocol, not another family', () => {
    expect(typeStem('udp6_sock')).toBe('udp');
    expect(typeStem('netlink_sock')).toBe('netlink');
    const { labelled } = labelSamples(readSamples(FIXTURE), btf, syms);
    const udp = labelled.find((l) => l.label === 'udp6_sock')!;
    expect(udp.obs.symbols).toContain('udpv6_prot');
    expect(opsScore(structLayout(btf, 'udp6_sock')!, udp.obs)).toBeGreaterThan(0);
    expect(opsScore(structLayout(btf, 'raw6_sock')!, udp.obs)).toBe(0);
  });

  it('measures on a held-out set when one is given, every test object once', () => {
    const { labelled, universe } = labelSamples(readSamples(FIXTURE), btf, syms);
    const half = Math.floor(labelled.length / 2);
    const r = evaluateAll(universe, labelled, { train: labelled.slice(0, half), test: labelled.slice(half) });
    expect(r.train).toBe(half);
    expect(r.test).toBe(labelled.length - half);
    expect(r.results.filter((m) => m.subset === 'all').every((m) => m.total === labelled.length - half)).toBe(true);
  });
});

describe('the object sampler (runtime/sample)', () => {
  it('builds: its BPF object has the two kmem tracepoints and the two free kprobes, and the static loader links', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-objsample-'));
    try {
      const bin = await buildSampler(dir);
      expect(existsSync(bin)).toBe(true);
      const sections = execFileSync('llvm-readelf-19', ['-S', join(dir, 'objsample.bpf.o')], { encoding: 'utf8' });
      const h = readFileSync(join(ROOT, 'runtime', 'sample', 'objsample.h'), 'utf8');
      expect(Number(/#define KC_SAMPLE_RECORD_SIZE (\d+)/.exec(h)?.[1])).toBe(RECORD_SIZE);
      for (const s of ['tracepoint/kmem/kmalloc', 'tracepoint/kmem/kmem_cache_alloc', 'kprobe/kmem_cache_free', 'kprobe/__kmem_cache_free'])
        expect(sections).toContain(s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
