// Owns getting DWARF sections out of an ElfFile: each `.debug_*` section
// decompressed and, in relocatable objects, with its `.rela.debug_*`
// relocations applied; and the mapping from an address operand in a debug
// section to the code section it lies in (through the relocation of that
// operand in ET_REL files, through section address ranges in linked images).

import { ByteReader } from '../bytes.js';
import type { ElfFile } from '../elf/file.js';
import { DwarfError } from '../errors.js';
import type { RelocationTarget, SkippedRelocation } from '../elf/relocations.js';
import type { SectionIndex } from '../offsets.js';
import { DebugLineStr, DebugStr } from './str.js';

/** A code (or data) section that DWARF addresses point into. */
export interface CodeSection {
  readonly index: SectionIndex;
  /** ".text", ".init.text", ".exit.text", ".noinstr.text", ".text.unlikely", … */
  readonly name: string;
  /** sh_addr: 0 in relocatable objects. */
  readonly address: bigint;
  /** sh_size. */
  readonly size: number;
}

/** One DWARF section's bytes as the decoders read them. */
export interface DwarfSectionData {
  /** The section name used in errors (".debug_line"). */
  readonly name: string;
  /** Decompressed, relocated contents. */
  readonly bytes: Uint8Array;
  /** What the relocation at `offset` resolved against, if one was applied there (ET_REL only). */
  targetAt(offset: number): RelocationTarget | undefined;
  /** Relocations of types the ELF reader does not apply. */
  readonly skippedRelocations: readonly SkippedRelocation[];
}

/**
 * The DWARF sections of one ELF file, loaded lazily. Missing sections are
 * undefined (string sections: empty, so every lookup is a DwarfError).
 */
export class DwarfSections {
  readonly file: string;
  readonly elf: ElfFile;
  /** The size of a target address (8 for ELF64). */
  readonly addressSize: number;
  private readonly loaded = new Map<string, DwarfSectionData | undefined>();
  private strCache: DebugStr | undefined;
  private lineStrCache: DebugLineStr | undefined;
  private readonly codeSections = new Map<number, CodeSection>();

  constructor(elf: ElfFile) {
    this.elf = elf;
    this.file = elf.file;
    this.addressSize = 8;
  }

  /** A DWARF section by name (e.g. ".debug_line"), relocated and decompressed; undefined if absent. */
  section(name: string): DwarfSectionData | undefined {
    if (this.loaded.has(name)) return this.loaded.get(name);
    const sec = this.elf.sectionByName(name);
    let data: DwarfSectionData | undefined;
    if (sec !== undefined) {
      const rel = this.elf.relocatedSectionData(sec);
      data = { name, bytes: rel.bytes, targetAt: rel.targetAt, skippedRelocations: rel.skipped };
    }
    this.loaded.set(name, data);
    return data;
  }

  get debugLine(): DwarfSectionData | undefined {
    return this.section('.debug_line');
  }

  get debugStr(): DebugStr {
    return (this.strCache ??= new DebugStr(this.section('.debug_str')?.bytes, this.file));
  }

  get debugLineStr(): DebugLineStr {
    return (this.lineStrCache ??= new DebugLineStr(this.section('.debug_line_str')?.bytes, this.file));
  }

  /**
   * The code section an address belongs to. In a relocatable object the
   * address operand at `operandOffset` of `section` carries a relocation
   * against a symbol of that section (often its section symbol, so the address
   * is `0 + addend`, an offset in that section); in a linked image the address
   * is looked up among the SHF_ALLOC sections' address ranges.
   * Undefined when it cannot be told (no relocation in an ET_REL file, or an
   * address outside every section).
   */
  codeSectionOf(section: DwarfSectionData, operandOffset: number | undefined, address: bigint): CodeSection | undefined {
    if (this.elf.isRelocatable) {
      if (operandOffset === undefined) return undefined;
      const t = section.targetAt(operandOffset);
      return t?.sectionIndex !== undefined ? this.codeSection(t.sectionIndex) : undefined;
    }
    const s = this.elf.sectionContaining(address);
    return s !== undefined ? this.codeSection(s.index) : undefined;
  }

  private codeSection(index: SectionIndex): CodeSection | undefined {
    let c = this.codeSections.get(index);
    if (c === undefined) {
      const s = this.elf.sections[index];
      if (s === undefined) return undefined;
      c = { index: s.index, name: s.name, address: s.addr, size: s.size };
      this.codeSections.set(index, c);
    }
    return c;
  }
}

/** The DWARF sections of `elf` (loaded on first use). */
export function loadDwarfSections(elf: ElfFile): DwarfSections {
  return new DwarfSections(elf);
}

/** A section's data (undefined when the file has none) and a reader over it (empty then). */
export function sectionReader(sections: DwarfSections, name: string): { data: DwarfSectionData | undefined; reader: ByteReader } {
  const data = sections.section(name);
  return { data, reader: new ByteReader(data?.bytes ?? new Uint8Array(0), sections.file, name, DwarfError) };
}
