// Owns reading the ELF symbol table (.symtab): Elf64_Sym entries with their
// names, type, binding, visibility and section index (SHN_XINDEX resolved
// through .symtab_shndx), and the section-relative offset of each defined
// symbol. Several local symbols may share a name (static functions of one
// name in different scopes, `__already_done` flags, …): nothing is merged.

import { ByteReader } from '../bytes.js';
import { ElfError } from '../errors.js';
import { sectionOffset, type SectionOffset } from '../offsets.js';
import { ET_REL, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, SHT_STRTAB, SHT_SYMTAB, SHT_SYMTAB_SHNDX } from './constants.js';
import type { ElfImage, ElfSection } from './types.js';

/** One Elf64_Sym. */
export interface ElfSymbol {
  /** Index in the symbol table (relocations refer to symbols by this index). */
  readonly index: number;
  /** The name from the linked string table ("" when st_name is 0, e.g. for section symbols). */
  readonly name: string;
  /** st_value: a section offset in ET_REL files, a virtual address in linked images. */
  readonly value: bigint;
  /** st_size. */
  readonly size: number;
  /** ELF64_ST_TYPE(st_info): STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE, … */
  readonly type: number;
  /** ELF64_ST_BIND(st_info): STB_LOCAL, STB_GLOBAL, STB_WEAK, … */
  readonly binding: number;
  /** ELF64_ST_VISIBILITY(st_other): STV_DEFAULT, STV_INTERNAL, STV_HIDDEN, STV_PROTECTED. */
  readonly visibility: number;
  readonly other: number;
  /**
   * The section the symbol is defined in: a section index, or SHN_UNDEF (0),
   * SHN_ABS (0xfff1), SHN_COMMON (0xfff2). SHN_XINDEX has already been resolved
   * through `.symtab_shndx`.
   */
  readonly sectionIndex: number;
  /** The raw st_shndx (SHN_XINDEX when the index lives in `.symtab_shndx`). */
  readonly shndx: number;
  /**
   * The symbol's offset inside its section (st_value in ET_REL files,
   * st_value − sh_addr in linked images), or undefined for undefined,
   * absolute and common symbols, or a value outside 2^53.
   */
  readonly sectionOffset: SectionOffset | undefined;
}

const ELF64_SYM_SIZE = 24;

/**
 * True if the symbol is defined in a real section (st_shndx is neither
 * SHN_UNDEF nor one of the reserved indices SHN_ABS, SHN_COMMON, …; an
 * SHN_XINDEX symbol always is).
 */
export function isDefinedInSection(sym: Pick<ElfSymbol, 'shndx'>): boolean {
  return sym.shndx === SHN_XINDEX || (sym.shndx !== SHN_UNDEF && sym.shndx < SHN_LORESERVE);
}

/** Reads `.symtab` (the first SHT_SYMTAB section); [] if the file has none. */
export function readSymbols(elf: ElfImage): ElfSymbol[] {
  const symtab = elf.sections.find((s) => s.type === SHT_SYMTAB);
  if (symtab === undefined) return [];
  return readSymbolTable(elf, symtab);
}

/** Reads the entries of one SHT_SYMTAB or SHT_DYNSYM section. */
export function readSymbolTable(elf: ElfImage, symtab: ElfSection): ElfSymbol[] {
  const file = elf.file;
  const fail = (expected: string, found?: string, offset?: number): never => {
    throw new ElfError({ file, section: symtab.name, offset, expected, found });
  };
  if (symtab.entsize !== ELF64_SYM_SIZE) fail(`sh_entsize ${ELF64_SYM_SIZE} (Elf64_Sym)`, `${symtab.entsize}`);
  if (symtab.size % ELF64_SYM_SIZE !== 0) fail(`a size that is a multiple of ${ELF64_SYM_SIZE}`, `${symtab.size}`);
  const data = elf.sectionData(symtab);
  const strtab = elf.section(symtab.link, `sh_link of ${symtab.name} (its string table)`);
  if (strtab.type !== SHT_STRTAB)
    fail(`sh_link naming an SHT_STRTAB section`, `section ${strtab.index} ${strtab.name} of type ${strtab.type}`);
  const strings = new ByteReader(elf.sectionData(strtab), file, strtab.name, ElfError);

  // SHN_XINDEX: "the actual value is contained in the associated section of type SHT_SYMTAB_SHNDX"
  let xindex: ByteReader | undefined;
  const shndxSection = elf.sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === symtab.index);
  if (shndxSection !== undefined) xindex = new ByteReader(elf.sectionData(shndxSection), file, shndxSection.name, ElfError);

  const r = new ByteReader(data, file, symtab.name, ElfError);
  const count = data.length / ELF64_SYM_SIZE;
  const out: ElfSymbol[] = new Array(count);
  const relocatable = elf.header.type === ET_REL;
  const nameCache = new Map<number, string>();
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    const nameOffset = r.u32('st_name');
    const info = r.u8('st_info');
    const other = r.u8('st_other');
    const shndx = r.u16('st_shndx');
    const value = r.u64('st_value');
    const size = r.u64n('st_size');
    let name = '';
    if (nameOffset !== 0) {
      const cached = nameCache.get(nameOffset);
      if (cached !== undefined) name = cached;
      else {
        if (nameOffset >= strings.end) fail(`st_name of symbol ${i} inside ${strtab.name} (size ${strings.end})`, `${nameOffset}`, at);
        strings.pos = nameOffset;
        name = strings.cstr(`the name of symbol ${i}`);
        nameCache.set(nameOffset, name);
      }
    }
    let sectionIndex = shndx;
    if (shndx === SHN_XINDEX) {
      if (xindex === undefined) return fail(`a ${'SHT_SYMTAB_SHNDX'} section for symbol ${i} with st_shndx SHN_XINDEX`, 'none', at);
      xindex.seek(i * 4, `the SHT_SYMTAB_SHNDX entry of symbol ${i}`);
      sectionIndex = xindex.u32(`the SHT_SYMTAB_SHNDX entry of symbol ${i}`);
    }
    let off: SectionOffset | undefined;
    if (isDefinedInSection({ shndx })) {
      let rel = value;
      if (!relocatable) {
        const sec = elf.sections[sectionIndex];
        rel = sec !== undefined ? value - sec.addr : -1n;
      }
      if (rel >= 0n && rel <= BigInt(Number.MAX_SAFE_INTEGER)) off = sectionOffset(Number(rel));
    }
    out[i] = {
      index: i,
      name,
      value,
      size,
      type: info & 0xf,
      binding: info >> 4,
      visibility: other & 3,
      other,
      sectionIndex,
      shndx,
      sectionOffset: off,
    };
  }
  return out;
}

/** The parts of a symbol a relocation needs (no name). */
export interface SymbolCore {
  readonly value: bigint;
  readonly shndx: number;
  readonly sectionIndex: number;
}

/**
 * Reads single symbols' value and section straight from a symbol table,
 * without decoding names or the rest of the table (what applying the
 * relocations of one section needs). Entries are cached.
 */
export class SymbolCoreReader {
  readonly count: number;
  private readonly r: ByteReader;
  private readonly x: ByteReader | undefined;
  private readonly cache: Array<SymbolCore | undefined>;

  constructor(elf: ElfImage, symtab: ElfSection) {
    if (symtab.entsize !== ELF64_SYM_SIZE || symtab.size % ELF64_SYM_SIZE !== 0) {
      throw new ElfError({
        file: elf.file,
        section: symtab.name,
        expected: `sh_entsize ${ELF64_SYM_SIZE} and a size that is a multiple of it`,
        found: `${symtab.entsize}, ${symtab.size}`,
      });
    }
    const data = elf.sectionData(symtab);
    this.r = new ByteReader(data, elf.file, symtab.name, ElfError);
    this.count = data.length / ELF64_SYM_SIZE;
    this.cache = new Array(this.count);
    const shndxSection = elf.sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === symtab.index);
    if (shndxSection !== undefined) this.x = new ByteReader(elf.sectionData(shndxSection), elf.file, shndxSection.name, ElfError);
  }

  /** Symbol `index`, or undefined if the table has no such entry. */
  get(index: number): SymbolCore | undefined {
    if (!(index >= 0 && index < this.count)) return undefined;
    let c = this.cache[index];
    if (c === undefined) {
      const r = this.r;
      r.pos = index * ELF64_SYM_SIZE + 6;
      const shndx = r.u16('st_shndx');
      const value = r.u64('st_value');
      let sectionIndex = shndx;
      if (shndx === SHN_XINDEX) {
        const x = this.x;
        if (x === undefined)
          return r.fail(`a SHT_SYMTAB_SHNDX section for symbol ${index} with st_shndx SHN_XINDEX`, 'none', index * ELF64_SYM_SIZE);
        x.seek(index * 4, `the SHT_SYMTAB_SHNDX entry of symbol ${index}`);
        sectionIndex = x.u32(`the SHT_SYMTAB_SHNDX entry of symbol ${index}`);
      }
      c = { value, shndx, sectionIndex };
      this.cache[index] = c;
    }
    return c;
  }
}
