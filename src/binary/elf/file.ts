// Owns reading an ELF64 little-endian file: the ELF header, the section header
// table with section names (extended numbering via section 0 included), and the
// ElfFile object that hands out section contents (decompressed when
// SHF_COMPRESSED), symbols and relocations on demand (lazily, cached).

import { ByteReader } from '../bytes.js';
import { ElfError } from '../errors.js';
import { sectionIndex } from '../offsets.js';
import { decompressSection } from './compression.js';
import { ET_CORE, ET_DYN, ET_EXEC, ET_REL, SHF_ALLOC, SHF_COMPRESSED, SHN_XINDEX, SHT_NOBITS, SHT_NULL } from './constants.js';
import { applyRelocations, readRelocations, type ApplyOptions, type RelocatedSection, type Relocation } from './relocations.js';
import { readSymbols, type ElfSymbol } from './symbols.js';
import type { ElfHeader, ElfSection } from './types.js';

export type { ElfHeader, ElfSection } from './types.js';

const ELF64_EHDR_SIZE = 64;
const ELF64_SHDR_SIZE = 64;

function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

/**
 * An ELF64 little-endian file held in memory. Section contents, symbols and
 * relocations are decoded on first use and cached; every malformed structure
 * throws an ElfError naming the file, the section and the offset.
 */
export class ElfFile {
  /** The name used in errors (the path given to readElf, or "<memory>"). */
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];

  private readonly byName = new Map<string, ElfSection[]>();
  private readonly dataCache = new Map<number, Uint8Array>();
  private readonly relocCache = new Map<number, readonly Relocation[]>();
  private readonly relocatedCache = new Map<number, RelocatedSection>();
  private symtabCache: readonly ElfSymbol[] | undefined;
  private relocSectionsFor: Map<number, ElfSection[]> | undefined;
  private allocSorted: ElfSection[] | undefined;

  /** Use readElf(). */
  constructor(file: string, bytes: Uint8Array, header: ElfHeader, sections: readonly ElfSection[]) {
    this.file = file;
    this.bytes = bytes;
    this.header = header;
    this.sections = sections;
    for (const s of sections) {
      const list = this.byName.get(s.name);
      if (list) list.push(s);
      else this.byName.set(s.name, [s]);
    }
  }

  /** True for ET_REL (.o, .ko): addresses in DWARF and symbols are section offsets. */
  get isRelocatable(): boolean {
    return this.header.type === ET_REL;
  }

  /** The section at `index`; throws an ElfError naming `what` if there is none. */
  section(index: number, what = 'a section index'): ElfSection {
    const s = this.sections[index];
    if (s === undefined || !Number.isInteger(index)) {
      throw new ElfError({ file: this.file, expected: `${what} below ${this.sections.length}`, found: String(index) });
    }
    return s;
  }

  /** The first section called `name`, if any. */
  sectionByName(name: string): ElfSection | undefined {
    return this.byName.get(name)?.[0];
  }

  /** Every section called `name` (ET_REL files may repeat names, e.g. with section groups). */
  sectionsByName(name: string): readonly ElfSection[] {
    return this.byName.get(name) ?? [];
  }

  /** The section's bytes as stored in the file (no decompression); empty for SHT_NOBITS and SHT_NULL. */
  rawSectionData(section: ElfSection): Uint8Array {
    if (section.type === SHT_NOBITS || section.type === SHT_NULL) return new Uint8Array(0);
    const end = section.offset + section.size;
    if (end > this.bytes.length || end < section.offset) {
      throw new ElfError({
        file: this.file,
        section: section.name,
        offset: section.offset,
        expected: `section contents inside the file (sh_offset ${hex(section.offset)} + sh_size ${hex(section.size)})`,
        found: `file size ${hex(this.bytes.length)}`,
      });
    }
    return this.bytes.subarray(section.offset, end);
  }

  /**
   * The section's contents: decompressed if SHF_COMPRESSED (zlib; zstd where
   * Node has it), the file bytes otherwise (no copy). Cached.
   */
  sectionData(section: ElfSection): Uint8Array {
    const cached = this.dataCache.get(section.index);
    if (cached) return cached;
    const raw = this.rawSectionData(section);
    const data =
      (section.flags & SHF_COMPRESSED) !== 0n && section.type !== SHT_NOBITS ? decompressSection(raw, this.file, section.name) : raw;
    this.dataCache.set(section.index, data);
    return data;
  }

  /** The symbols of `.symtab` (index 0, the null symbol, included), or [] if there is none. Cached. */
  get symbols(): readonly ElfSymbol[] {
    return (this.symtabCache ??= readSymbols(this));
  }

  /** The relocation sections (SHT_RELA / SHT_REL) whose sh_info names `target`. */
  relocationSectionsFor(target: ElfSection): readonly ElfSection[] {
    if (this.relocSectionsFor === undefined) {
      const m = new Map<number, ElfSection[]>();
      for (const s of this.sections) {
        if (s.type !== 4 /* SHT_RELA */ && s.type !== 9 /* SHT_REL */) continue;
        const list = m.get(s.info);
        if (list) list.push(s);
        else m.set(s.info, [s]);
      }
      this.relocSectionsFor = m;
    }
    return this.relocSectionsFor.get(target.index) ?? [];
  }

  /** The entries of one SHT_RELA or SHT_REL section. Cached. */
  relocations(relocationSection: ElfSection): readonly Relocation[] {
    let r = this.relocCache.get(relocationSection.index);
    if (!r) {
      r = readRelocations(this, relocationSection);
      this.relocCache.set(relocationSection.index, r);
    }
    return r;
  }

  /**
   * The section's contents with the relocations that target it applied (a copy
   * when there are any), plus, for each relocated place, the symbol and section
   * the relocation resolved against. Cached for the default options.
   */
  relocatedSectionData(section: ElfSection, options?: ApplyOptions): RelocatedSection {
    if (options !== undefined) return applyRelocations(this, section, options);
    let r = this.relocatedCache.get(section.index);
    if (!r) {
      r = applyRelocations(this, section, {});
      this.relocatedCache.set(section.index, r);
    }
    return r;
  }

  /**
   * The SHF_ALLOC section whose address range holds `address` (for linked
   * images, where DWARF addresses are virtual addresses); executable sections
   * win over others on overlap. Undefined if none does.
   */
  sectionContaining(address: bigint): ElfSection | undefined {
    if (this.allocSorted === undefined) {
      this.allocSorted = this.sections
        .filter((s) => (s.flags & SHF_ALLOC) !== 0n && s.size > 0)
        .sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : Number((b.flags & 4n) - (a.flags & 4n))));
    }
    let best: ElfSection | undefined;
    for (const s of this.allocSorted) {
      if (s.addr > address) break;
      if (address < s.addr + BigInt(s.size) && (best === undefined || ((s.flags & 4n) !== 0n && (best.flags & 4n) === 0n))) best = s;
    }
    return best;
  }
}

/**
 * Reads the ELF header and section header table of an ELF64 little-endian
 * file (ET_REL, ET_EXEC or ET_DYN). Section contents, symbols and
 * relocations are decoded later, on demand.
 *
 * @param bytes the whole file
 * @param filename used in error messages
 * @throws ElfError on any malformed or unsupported header or section table
 */
export function readElf(bytes: Uint8Array, filename = '<memory>'): ElfFile {
  const r = new ByteReader(bytes, filename, undefined, ElfError);
  const fail = (expected: string, found?: string, offset?: number): never => {
    throw new ElfError({ file: filename, offset, expected, found });
  };
  if (bytes.length < 16) fail('an ELF identification of 16 bytes', `${bytes.length} byte(s)`, 0);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail('the ELF magic 7f 45 4c 46', Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' '), 0);
  }
  if (bytes[4] !== 2) fail('ELFCLASS64 (2)', `EI_CLASS ${bytes[4]}`, 4);
  if (bytes[5] !== 1) fail('ELFDATA2LSB (1, little-endian)', `EI_DATA ${bytes[5]}`, 5);
  if (bytes[6] !== 1) fail('EV_CURRENT (1)', `EI_VERSION ${bytes[6]}`, 6);
  const osabi = bytes[7]!;
  r.seek(16, 'the ELF header');
  r.need(ELF64_EHDR_SIZE - 16, 'an ELF64 header of 64 bytes');
  const type = r.u16('e_type');
  const machine = r.u16('e_machine');
  const version = r.u32('e_version');
  const entry = r.u64('e_entry');
  const phoff = r.u64n('e_phoff');
  const shoff = r.u64n('e_shoff');
  const flags = r.u32('e_flags');
  const ehsize = r.u16('e_ehsize');
  const phentsize = r.u16('e_phentsize');
  const phnum = r.u16('e_phnum');
  const shentsize = r.u16('e_shentsize');
  let shnum = r.u16('e_shnum');
  let shstrndx = r.u16('e_shstrndx');
  if (type !== ET_REL && type !== ET_EXEC && type !== ET_DYN) {
    fail('e_type ET_REL (1), ET_EXEC (2) or ET_DYN (3)', type === ET_CORE ? 'ET_CORE (4)' : `e_type ${type}`, 16);
  }

  const sections: ElfSection[] = [];
  if (shoff !== 0) {
    if (shentsize !== ELF64_SHDR_SIZE) fail(`e_shentsize ${ELF64_SHDR_SIZE}`, `${shentsize}`, 58);
    if (shoff + ELF64_SHDR_SIZE > bytes.length) fail('a section header table inside the file', `e_shoff ${hex(shoff)}`, 40);
    // gABI extended numbering: "If the number of sections is greater than or equal to
    // SHN_LORESERVE (0xff00), e_shnum has the value SHN_UNDEF (0) and the actual number
    // of section header table entries is contained in the sh_size field of the section
    // header at index 0"; likewise e_shstrndx == SHN_XINDEX defers to section 0's sh_link.
    const s0 = new ByteReader(bytes, filename, undefined, ElfError, shoff);
    s0.skip(32, 'section header 0');
    const size0 = s0.u64n('sh_size of section header 0');
    const link0 = s0.u32('sh_link of section header 0');
    if (shnum === 0) shnum = size0;
    if (shstrndx === SHN_XINDEX) shstrndx = link0;
    if (shnum === 0) fail('at least one section header when e_shoff is set', '0', 60);
    if (shoff + shnum * ELF64_SHDR_SIZE > bytes.length) {
      fail(
        `a section header table of ${shnum} entries inside the file`,
        `it ends at ${hex(shoff + shnum * ELF64_SHDR_SIZE)}, file size ${hex(bytes.length)}`,
        40,
      );
    }
    const raw: Array<Omit<ElfSection, 'name'>> = [];
    const h = new ByteReader(bytes, filename, undefined, ElfError, shoff);
    for (let i = 0; i < shnum; i++) {
      raw.push({
        index: sectionIndex(i),
        nameOffset: h.u32('sh_name'),
        type: h.u32('sh_type'),
        flags: h.u64('sh_flags'),
        addr: h.u64('sh_addr'),
        offset: h.u64n('sh_offset'),
        size: h.u64n('sh_size'),
        link: h.u32('sh_link'),
        info: h.u32('sh_info'),
        addralign: h.u64('sh_addralign'),
        entsize: h.u64n('sh_entsize'),
      });
    }
    let names: ByteReader | undefined;
    if (shstrndx !== 0) {
      if (shstrndx >= shnum) {
        fail(`e_shstrndx below ${shnum}`, `${shstrndx}`, 62);
      }
      const st = raw[shstrndx]!;
      if (st.type === SHT_NOBITS || st.offset + st.size > bytes.length || st.offset + st.size < st.offset) {
        fail(
          `the section-name string table (section ${shstrndx}) inside the file`,
          `sh_offset ${hex(st.offset)} sh_size ${hex(st.size)}`,
          shoff + shstrndx * ELF64_SHDR_SIZE,
        );
      }
      names = new ByteReader(bytes.subarray(st.offset, st.offset + st.size), filename, 'section-name string table', ElfError);
    }
    for (const s of raw) {
      let name = '';
      if (names !== undefined && (s.nameOffset !== 0 || s.type !== SHT_NULL)) {
        names.seek(s.nameOffset, `the name of section ${s.index} inside the section-name string table`);
        name = names.cstr(`the name of section ${s.index}`);
      }
      sections.push({ ...s, name });
    }
  }
  const header: ElfHeader = {
    osabi,
    type,
    machine,
    version,
    entry,
    phoff,
    shoff,
    flags,
    ehsize,
    phentsize,
    phnum,
    shentsize,
    shnum: sections.length,
    shstrndx,
  };
  return new ElfFile(filename, bytes, header, sections);
}
