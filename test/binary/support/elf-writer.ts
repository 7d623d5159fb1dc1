// Test support for test/binary: a minimal ELF64 little-endian writer that
// lays out given sections (plus the null section and .shstrtab) so tests can
// build crafted and deliberately broken inputs in memory.

export interface SectionSpec {
  name: string;
  type?: number; // default SHT_PROGBITS
  flags?: bigint;
  addr?: bigint;
  data?: Uint8Array;
  link?: number;
  info?: number;
  entsize?: number;
  addralign?: bigint;
  /** Overrides sh_size (for broken inputs). */
  size?: number;
  /** Overrides sh_offset (for broken inputs). */
  offset?: number;
}

export interface ElfSpec {
  type?: number; // default ET_REL
  machine?: number; // default EM_X86_64
  sections: SectionSpec[];
}

/** Builds an ELF64 LE file: header, section contents, .shstrtab, section header table. Section i of the spec gets index i + 1. */
export function writeElf(spec: ElfSpec): Uint8Array {
  const names = [...spec.sections.map((s) => s.name), '.shstrtab'];
  const strtab: number[] = [0];
  const nameOff: number[] = [];
  for (const n of names) {
    nameOff.push(strtab.length);
    for (const b of Buffer.from(n, 'utf8')) strtab.push(b);
    strtab.push(0);
  }
  const all: SectionSpec[] = [...spec.sections, { name: '.shstrtab', type: 3, data: Uint8Array.from(strtab) }];
  let off = 64;
  const offsets: number[] = [];
  for (const s of all) {
    off = (off + 7) & ~7;
    offsets.push(off);
    off += s.type === 8 ? 0 : (s.data?.length ?? 0);
  }
  off = (off + 7) & ~7;
  const shoff = off;
  const shnum = all.length + 1;
  const buf = new Uint8Array(shoff + shnum * 64);
  const v = new DataView(buf.buffer);
  buf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  v.setUint16(16, spec.type ?? 1, true);
  v.setUint16(18, spec.machine ?? 62, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, 64, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, shnum, true);
  v.setUint16(62, shnum - 1, true);
  all.forEach((s, i) => {
    if (s.data && s.type !== 8) buf.set(s.data, offsets[i]!);
    const h = shoff + (i + 1) * 64;
    v.setUint32(h, nameOff[i]!, true);
    v.setUint32(h + 4, s.type ?? 1, true);
    v.setBigUint64(h + 8, s.flags ?? 0n, true);
    v.setBigUint64(h + 16, s.addr ?? 0n, true);
    v.setBigUint64(h + 24, BigInt(s.offset ?? offsets[i]!), true);
    v.setBigUint64(h + 32, BigInt(s.size ?? s.data?.length ?? 0), true);
    v.setUint32(h + 40, s.link ?? 0, true);
    v.setUint32(h + 44, s.info ?? 0, true);
    v.setBigUint64(h + 48, s.addralign ?? 1n, true);
    v.setBigUint64(h + 56, BigInt(s.entsize ?? 0), true);
  });
  return buf;
}

/** Little helpers to build DWARF bytes. */
export class Bytes {
  readonly out: number[] = [];
  u8(...b: number[]): this {
    for (const x of b) this.out.push(x & 0xff);
    return this;
  }
  u16(x: number): this {
    return this.u8(x, x >> 8);
  }
  u32(x: number): this {
    return this.u8(x, x >> 8, x >> 16, x >>> 24);
  }
  u64(x: bigint): this {
    for (let i = 0n; i < 8n; i++) this.out.push(Number((x >> (8n * i)) & 0xffn));
    return this;
  }
  uleb(x: number | bigint): this {
    let v = BigInt(x);
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) b |= 0x80;
      this.out.push(b);
    } while (v !== 0n);
    return this;
  }
  sleb(x: number | bigint): this {
    let v = BigInt(x);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
      this.out.push(done ? b : b | 0x80);
      if (done) return this;
    }
  }
  str(s: string): this {
    for (const b of Buffer.from(s, 'utf8')) this.out.push(b);
    this.out.push(0);
    return this;
  }
  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.out.push(b[i]!);
    return this;
  }
  get length(): number {
    return this.out.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

/**
 * A DWARF 4 line-number program unit (32-bit format, opcode_base 13, one
 * file "a.c") whose opcodes are `program`; options override header fields.
 */
export function lineUnitV4(
  program: ArrayLike<number>,
  o: { version?: number; lineRange?: number; opcodeBase?: number; minInst?: number } = {},
): Uint8Array {
  const opcodeBase = o.opcodeBase ?? 13;
  const hdr = new Bytes()
    .u8(o.minInst ?? 1, 1, 1, -5 & 0xff, o.lineRange ?? 14, opcodeBase)
    .bytes([0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1].slice(0, Math.max(0, opcodeBase - 1)))
    .u8(0)
    .str('a.c')
    .uleb(0)
    .uleb(0)
    .uleb(0)
    .u8(0);
  const body = new Bytes()
    .u16(o.version ?? 4)
    .u32(hdr.length)
    .bytes(hdr.out)
    .bytes(program);
  return new Bytes().u32(body.length).bytes(body.out).build();
}
