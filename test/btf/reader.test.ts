// Owns the BTF reader's tests: the corpus kernel's vmlinux.btf read by
// src/btf against bpftool's JSON dump of the same file (the oracle), type by
// type; and malformed blobs rejected with the byte offset and what was expected.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BtfFormatError, parseBtf, readBtfFile } from '../../src/btf/index.js';
import { corpusDir } from '../../scripts/lib/paths.js';

const BTF = join(corpusDir(), 'linux-6.1', 'kernel', 'vmlinux.btf');

interface OracleType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  members?: { name: string; type_id: number; bits_offset: number; bitfield_size?: number }[];
  nr_elems?: number;
}

describe('BTF reader on the corpus kernel', () => {
  it('reads every type as bpftool does', async () => {
    const { stdout } = await promisify(execFile)('bpftool', ['btf', 'dump', 'file', BTF, '-j'], { maxBuffer: 1 << 28 });
    const oracle = (JSON.parse(stdout) as { types: OracleType[] }).types;
    const btf = readBtfFile(BTF);
    expect(btf.types.length - 1).toBe(oracle.length);
    let records = 0;
    for (const o of oracle) {
      const t = btf.get(o.id)!;
      expect(t.kind, `type ${o.id}`).toBe(o.kind);
      expect(t.name || '(anon)', `type ${o.id}`).toBe(o.name);
      if (o.kind === 'STRUCT' || o.kind === 'UNION') {
        records++;
        expect(t.size).toBe(o.size);
        expect(
          t.members!.map((m) => [m.name || '(anon)', m.type, m.bitOffset, m.bitfieldSize]),
          `members of ${o.name}`,
        ).toEqual(o.members!.map((m) => [m.name, m.type_id, m.bits_offset, m.bitfield_size ?? 0]));
      }
      if (o.kind === 'ARRAY') expect(t.array?.count).toBe(o.nr_elems);
      if (o.kind === 'PTR' || o.kind === 'TYPEDEF') expect(t.type).toBe(o.type_id);
    }
    expect(records).toBeGreaterThan(10_000);
    // a record the analyzed IR does not declare: netlink_sock starts with a struct sock
    const nl = [...btf.records()].find((r) => r.name === 'netlink_sock')!;
    expect(btf.resolve(nl.members![0]!.type)?.name).toBe('sock');
  });

  it('reads the .BTF section of an ELF file (as vmlinux carries it), and names a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-btf-'));
    try {
      const plain = join(corpusDir(), 'linux-6.1', 'net', 'ipv6', 'route.o');
      const withBtf = join(dir, 'with-btf.o');
      await promisify(execFile)('llvm-objcopy-19', ['--add-section', `.BTF=${BTF}`, plain, withBtf]);
      expect(readBtfFile(withBtf).types.length).toBe(readBtfFile(BTF).types.length);
      expect(() => readBtfFile(plain)).toThrow(/route\.o: byte \d+: expected a \.BTF section/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects malformed blobs with the offset and what was expected', () => {
    const good = readFileSync(BTF);
    expect(() => parseBtf(new Uint8Array(10), 'short.btf')).toThrow(/short\.btf: byte 0: expected a 24-byte btf_header/);
    const badMagic = Uint8Array.from(good.subarray(0, 64));
    badMagic[0] = 0;
    expect(() => parseBtf(badMagic, 'magic.btf')).toThrow(BtfFormatError);
    // cut inside the type section: the sections no longer fit
    expect(() => parseBtf(good.subarray(0, 4096), 'cut.btf')).toThrow(/cut\.btf: byte 4: expected sections inside the 4096-byte blob/);
    // a kind number BTF does not define
    const badKind = Uint8Array.from(good);
    const hdrLen = new DataView(badKind.buffer).getUint32(4, true);
    const typeOff = new DataView(badKind.buffer).getUint32(8, true);
    badKind[hdrLen + typeOff + 7] = 0x1f;
    expect(() => parseBtf(badKind, 'kind.btf')).toThrow(/kind\.btf: byte \d+: expected a known BTF kind/);
  });
});
