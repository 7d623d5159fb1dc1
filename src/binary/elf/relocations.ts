// Owns ELF relocations: reading SHT_RELA / SHT_REL entries, and applying the
// x86-64 relocations that target one section to a copy of its contents (how
// DWARF sections of ET_REL objects are read), recording for each relocated
// place the symbol and section it resolved against, and recording (or, in
// strict mode, refusing) relocation types it does not know.

import { ByteReader } from '../bytes.js';
import { ElfError } from '../errors.js';
import { sectionIndex, type SectionIndex } from '../offsets.js';
import {
  EM_X86_64,
  ET_REL,
  R_X86_64_16,
  R_X86_64_32,
  R_X86_64_32S,
  R_X86_64_64,
  R_X86_64_8,
  R_X86_64_DTPOFF32,
  R_X86_64_DTPOFF64,
  R_X86_64_NONE,
  R_X86_64_PC16,
  R_X86_64_PC32,
  R_X86_64_PC64,
  R_X86_64_PC8,
  R_X86_64_PLT32,
  SHT_DYNSYM,
  SHT_REL,
  SHT_RELA,
  SHT_SYMTAB,
  relocationTypeName,
} from './constants.js';
import type { ElfImage, ElfSection } from './types.js';
import { isDefinedInSection, SymbolCoreReader } from './symbols.js';

/** One Elf64_Rela (or Elf64_Rel) entry. */
export interface Relocation {
  /** r_offset: the place, as a section offset in ET_REL files and a virtual address in linked images. */
  readonly offset: bigint;
  /** ELF64_R_TYPE(r_info): an R_X86_64_* value. */
  readonly type: number;
  /** ELF64_R_SYM(r_info): index into the symbol table named by the relocation section's sh_link. */
  readonly symbolIndex: number;
  /** r_addend for SHT_RELA; undefined for SHT_REL (the addend is stored at the place). */
  readonly addend: bigint | undefined;
}

/** What one applied relocation resolved against. */
export interface RelocationTarget {
  readonly type: number;
  readonly symbolIndex: number;
  /** The section the symbol is defined in, or undefined for undefined, absolute and common symbols. */
  readonly sectionIndex: SectionIndex | undefined;
  /** The value written at the place (before truncation to the field's width). */
  readonly value: bigint;
}

/** A relocation that was not applied, and why. */
export interface SkippedRelocation {
  readonly relocationSection: string;
  readonly index: number;
  readonly relocation: Relocation;
  readonly typeName: string;
  readonly reason: string;
}

/** A section's contents with its relocations applied. */
export interface RelocatedSection {
  readonly section: ElfSection;
  /** The relocated contents (the original bytes when no relocation targets the section). */
  readonly bytes: Uint8Array;
  /** How many relocations were applied. */
  readonly applied: number;
  /** Relocations of unsupported types, not applied (empty in strict mode, which throws instead). */
  readonly skipped: readonly SkippedRelocation[];
  /** What the relocation at section offset `offset` resolved against, if one was applied there. */
  targetAt(offset: number): RelocationTarget | undefined;
}

export interface ApplyOptions {
  /** Throw an ElfError on a relocation type this reader does not apply, instead of recording it in `skipped`. */
  readonly strict?: boolean;
}

const ELF64_RELA_SIZE = 24;
const ELF64_REL_SIZE = 16;

/** Reads the entries of one SHT_RELA or SHT_REL section. */
export function readRelocations(elf: ElfImage, relSection: ElfSection): Relocation[] {
  const rela = relSection.type === SHT_RELA;
  const fail = (expected: string, found?: string, offset?: number): never => {
    throw new ElfError({ file: elf.file, section: relSection.name, offset, expected, found });
  };
  if (!rela && relSection.type !== SHT_REL) fail('an SHT_RELA or SHT_REL section', `sh_type ${relSection.type}`);
  const entsize = rela ? ELF64_RELA_SIZE : ELF64_REL_SIZE;
  if (relSection.entsize !== entsize) fail(`sh_entsize ${entsize}`, `${relSection.entsize}`);
  const data = elf.sectionData(relSection);
  if (data.length % entsize !== 0) fail(`a size that is a multiple of ${entsize}`, `${data.length}`);
  const r = new ByteReader(data, elf.file, relSection.name, ElfError);
  const n = data.length / entsize;
  const out: Relocation[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const offset = r.u64('r_offset');
    const type = r.u32('ELF64_R_TYPE(r_info)');
    const symbolIndex = r.u32('ELF64_R_SYM(r_info)');
    const addend = rela ? r.i64('r_addend') : undefined;
    out[i] = { offset, type, symbolIndex, addend };
  }
  return out;
}

/** Width in bytes and kind of the x86-64 relocation types this reader applies. */
const APPLIED: Record<number, { width: 1 | 2 | 4 | 8; pcRel: boolean; signed: boolean }> = {
  [R_X86_64_64]: { width: 8, pcRel: false, signed: false },
  [R_X86_64_32]: { width: 4, pcRel: false, signed: false },
  [R_X86_64_32S]: { width: 4, pcRel: false, signed: true },
  [R_X86_64_16]: { width: 2, pcRel: false, signed: false },
  [R_X86_64_8]: { width: 1, pcRel: false, signed: false },
  [R_X86_64_PC64]: { width: 8, pcRel: true, signed: true },
  [R_X86_64_PC32]: { width: 4, pcRel: true, signed: true },
  // PLT32: L + A − P; with no PLT (a kernel object, or a debug section) L is the symbol itself
  [R_X86_64_PLT32]: { width: 4, pcRel: true, signed: true },
  [R_X86_64_PC16]: { width: 2, pcRel: true, signed: true },
  [R_X86_64_PC8]: { width: 1, pcRel: true, signed: true },
  // in debug sections, DTPOFF is the offset in the TLS block: S + A (as LLVM's resolver does)
  [R_X86_64_DTPOFF64]: { width: 8, pcRel: false, signed: true },
  [R_X86_64_DTPOFF32]: { width: 4, pcRel: false, signed: true },
};

function readImplicitAddend(view: DataView, place: number, width: number, signed: boolean): bigint {
  switch (width) {
    case 8:
      return signed ? view.getBigInt64(place, true) : view.getBigUint64(place, true);
    case 4:
      return BigInt(signed ? view.getInt32(place, true) : view.getUint32(place, true));
    case 2:
      return BigInt(signed ? view.getInt16(place, true) : view.getUint16(place, true));
    default:
      return BigInt(signed ? view.getInt8(place) : view.getUint8(place));
  }
}

function write(view: DataView, place: number, width: number, value: bigint): void {
  switch (width) {
    case 8:
      view.setBigUint64(place, BigInt.asUintN(64, value), true);
      break;
    case 4:
      view.setUint32(place, Number(BigInt.asUintN(32, value)), true);
      break;
    case 2:
      view.setUint16(place, Number(BigInt.asUintN(16, value)), true);
      break;
    default:
      view.setUint8(place, Number(BigInt.asUintN(8, value)));
  }
}

/** An ELF file that can hand out the relocation sections of a section and their entries (ElfFile is one). */
export interface RelocatableImage extends ElfImage {
  relocationSectionsFor(target: ElfSection): readonly ElfSection[];
  relocations(relocationSection: ElfSection): readonly Relocation[];
}

/**
 * Applies every relocation whose relocation section's sh_info names `section`
 * to a copy of its contents.
 *
 * x86-64 psABI: S is the symbol's value, A the addend, P the place. R_X86_64_64,
 * _32, _32S, _16, _8 write S + A; _PC64, _PC32, _PLT32, _PC16, _PC8 write S + A − P.
 * In an ET_REL file a symbol's value is an offset in its own section, and section
 * addresses are 0, so a relocation against the section symbol of `.text` writes
 * the `.text` offset A — which is what llvm-dwarfdump shows as the address of a
 * line-table row of a `.o` file; `targetAt` says which section it lies in.
 */
export function applyRelocations(elf: RelocatableImage, section: ElfSection, options: ApplyOptions): RelocatedSection {
  const relSections = elf.relocationSectionsFor(section);
  const original = elf.sectionData(section);
  const targets = new Map<number, RelocationTarget>();
  const skipped: SkippedRelocation[] = [];
  let applied = 0;
  if (relSections.length === 0) {
    return { section, bytes: original, applied, skipped, targetAt: (o) => targets.get(o) };
  }
  if (elf.header.machine !== EM_X86_64) {
    throw new ElfError({
      file: elf.file,
      section: section.name,
      expected: 'EM_X86_64 (62) relocations',
      found: `e_machine ${elf.header.machine}`,
    });
  }
  const bytes = new Uint8Array(original);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const relocatable = elf.header.type === ET_REL;
  for (const rs of relSections) {
    const fail = (expected: string, found: string | undefined, index: number): never => {
      const entsize = rs.type === SHT_RELA ? ELF64_RELA_SIZE : ELF64_REL_SIZE;
      throw new ElfError({ file: elf.file, section: rs.name, offset: index * entsize, expected, found });
    };
    const symtabSection = elf.section(rs.link, `sh_link of ${rs.name} (its symbol table)`);
    if (symtabSection.type !== SHT_SYMTAB && symtabSection.type !== SHT_DYNSYM) {
      fail('sh_link naming an SHT_SYMTAB or SHT_DYNSYM section', `section ${symtabSection.index} ${symtabSection.name}`, 0);
    }
    const symbols = new SymbolCoreReader(elf, symtabSection);
    const relocs = elf.relocations(rs);
    for (let i = 0; i < relocs.length; i++) {
      const rel = relocs[i]!;
      if (rel.type === R_X86_64_NONE) continue;
      const kind = APPLIED[rel.type];
      if (kind === undefined) {
        const typeName = relocationTypeName(rel.type);
        if (options.strict)
          fail(
            `a relocation type this reader applies (R_X86_64_64, _32, _32S, _16, _8, _PC64, _PC32, _PLT32, _PC16, _PC8, _DTPOFF32/64)`,
            typeName,
            i,
          );
        skipped.push({
          relocationSection: rs.name,
          index: i,
          relocation: rel,
          typeName,
          reason: `${typeName} is not applied by this reader`,
        });
        continue;
      }
      const placeBig = relocatable ? rel.offset : rel.offset - section.addr;
      if (placeBig < 0n || placeBig + BigInt(kind.width) > BigInt(bytes.length)) {
        fail(
          `r_offset inside ${section.name} (size 0x${bytes.length.toString(16)})`,
          `0x${rel.offset.toString(16)} for a ${kind.width}-byte ${relocationTypeName(rel.type)}`,
          i,
        );
      }
      const place = Number(placeBig);
      const sym = symbols.get(rel.symbolIndex);
      if (sym === undefined) return fail(`a symbol index below ${symbols.count}`, `${rel.symbolIndex}`, i);
      let s = sym.value;
      let target: SectionIndex | undefined;
      if (isDefinedInSection(sym)) {
        target = sectionIndex(sym.sectionIndex);
        if (relocatable) {
          const symSec = elf.sections[sym.sectionIndex];
          if (symSec === undefined)
            fail(`symbol ${rel.symbolIndex} defined in an existing section`, `section index ${sym.sectionIndex}`, i);
          s += symSec.addr;
        }
      }
      const a = rel.addend ?? readImplicitAddend(view, place, kind.width, kind.signed);
      let value = s + a;
      if (kind.pcRel) value -= section.addr + placeBig;
      write(view, place, kind.width, value);
      targets.set(place, { type: rel.type, symbolIndex: rel.symbolIndex, sectionIndex: target, value });
      applied++;
    }
  }
  return { section, bytes, applied, skipped, targetAt: (o) => targets.get(o) };
}
