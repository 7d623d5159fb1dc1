// Owns the shapes of an ELF64 file that every ELF reader shares: the header
// fields and one section header entry, and the view of a file that the symbol
// and relocation readers need (so they do not import the ElfFile class that
// uses them).
import type { SectionIndex } from '../offsets.js';

/** The ELF header fields src/binary uses (ELF64, little-endian only). */
export interface ElfHeader {
  /** EI_OSABI. */
  readonly osabi: number;
  /** e_type: ET_REL (1), ET_EXEC (2) or ET_DYN (3). */
  readonly type: number;
  /** e_machine (EM_X86_64 = 62). */
  readonly machine: number;
  readonly version: number;
  readonly entry: bigint;
  readonly phoff: number;
  readonly shoff: number;
  readonly flags: number;
  readonly ehsize: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shentsize: number;
  /** The number of sections (from section 0's sh_size when e_shnum is 0). */
  readonly shnum: number;
  /** The index of the section-name string table (from section 0's sh_link when e_shstrndx is SHN_XINDEX). */
  readonly shstrndx: number;
}

/** One entry of the section header table. */
export interface ElfSection {
  readonly index: SectionIndex;
  /** The name from the section-name string table ("" for section 0). */
  readonly name: string;
  readonly nameOffset: number;
  /** sh_type (SHT_PROGBITS, SHT_RELA, …). */
  readonly type: number;
  /** sh_flags (SHF_ALLOC, SHF_EXECINSTR, SHF_COMPRESSED, …). */
  readonly flags: bigint;
  /** sh_addr: 0 in relocatable objects; the virtual address in linked images. */
  readonly addr: bigint;
  /** sh_offset: where the contents start in the file. */
  readonly offset: number;
  /** sh_size: the size in the file (for SHF_COMPRESSED: the compressed size with its header). */
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: bigint;
  readonly entsize: number;
}

/** What the symbol and relocation readers need of an ELF file (ElfFile is one). */
export interface ElfImage {
  /** The name used in errors. */
  readonly file: string;
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
  /** The section at an index, or an ElfError naming `what`. */
  section(index: number, what?: string): ElfSection;
  /** A section's contents (decompressed). */
  sectionData(section: ElfSection): Uint8Array;
}
