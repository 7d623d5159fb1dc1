// Owns x86-64 decoding of function symbols with iced-x86 (DESIGN.md §4): the
// instruction boundaries of every STT_FUNC symbol of a code section and, for
// each instruction, the memory it writes — explicit destinations, read-modify-
// write and lock forms, xchg/cmpxchg, string stores (rep stos/movs: variable
// width, count in rcx), and the implicit stack writes of push and call — as
// plain objects shaped like the policy's MemoryOperand, rip-relative targets
// resolved through the relocation at the displacement in ET_REL objects.

import {
  Decoder,
  DecoderOptions,
  FlowControl,
  InstructionInfoFactory,
  Instruction,
  MemorySizeExt,
  Mnemonic,
  OpAccess,
  Register,
  RegisterExt,
} from 'iced-x86';
import type { MemoryOperand } from '../../policy/schema.js';
import { STT_FUNC, STT_SECTION } from '../elf/constants.js';
import type { ElfFile, ElfSection } from '../elf/file.js';
import type { Relocation } from '../elf/relocations.js';
import type { ElfSymbol } from '../elf/symbols.js';
import { ElfError } from '../errors.js';
import { sectionOffset, type SectionOffset } from '../offsets.js';

/** How an instruction writes memory. */
export type WriteKind =
  /** an explicit memory destination (mov, add, xchg, cmpxchg, setcc, …) */
  | 'explicit'
  /** the implicit stack write of push, call, enter, pushf */
  | 'stack'
  /** a string store: stos, movs (es:[rdi]) */
  | 'string';

/** One memory write of an instruction. */
export interface MemoryWrite {
  /** Shaped like the policy's MemoryOperandSchema (registers in lower case). */
  readonly operand: MemoryOperand;
  readonly kind: WriteKind;
  /** iced-x86's access: "write", "condWrite" (cmov-like, cmpxchg), "readWrite", "readCondWrite". */
  readonly access: 'write' | 'condWrite' | 'readWrite' | 'readCondWrite';
  /** For rep-prefixed string stores: the register holding the element count ("rcx"); the width is then 0. */
  readonly repCount: string | undefined;
  /** The element size of a string store, or the width again for other writes. */
  readonly elementWidth: number;
  /** A lock prefix (or xchg with memory, which is locked implicitly). */
  readonly locked: boolean;
  /**
   * For a non-rip-relative operand whose displacement is a relocation (kernel code
   * model: `movq $0, sym(,%rax,8)`): the symbol and addend it resolves to.
   */
  readonly displacementTarget: string | undefined;
}

/**
 * How an instruction passes control on: to the next instruction, by a direct branch (`jmp` /
 * `jcc` to `branchTarget`), an indirect one, a call, a return, or an interrupt/exception
 * (`int3`, `ud2`, `syscall`, …), from iced-x86's FlowControl.
 */
export type Flow = 'next' | 'branch' | 'conditional' | 'indirect' | 'call' | 'indirect-call' | 'return' | 'interrupt';

/** One decoded instruction. */
export interface DecodedInstruction {
  /** Offset of the instruction in its section (the `symbol+offset` space is offset − symbol offset). */
  readonly offset: SectionOffset;
  readonly length: number;
  /** iced-x86's mnemonic in lower case ("mov", "stosq", …); "(bad)" for bytes that do not decode. */
  readonly mnemonic: string;
  readonly writes: readonly MemoryWrite[];
  readonly flow: Flow;
  /**
   * For a direct `jmp` / `jcc` inside this section whose displacement is not relocated: the
   * section offset it branches to (a branch whose displacement is a relocation leaves the section).
   */
  readonly branchTarget?: SectionOffset;
  /** The 64-bit general-purpose registers (lower case) the instruction writes, explicitly or implicitly (sub-registers count). */
  readonly registersWritten: readonly string[];
}

/** The decoded code of one function symbol. */
export interface FunctionCode {
  readonly symbol: ElfSymbol;
  readonly section: ElfSection;
  readonly instructions: readonly DecodedInstruction[];
}

const MNEMONIC_NAMES = Mnemonic as unknown as Record<number, string>;
const REGISTER_NAMES = Register as unknown as Record<number, string>;

function reg(r: Register): string | undefined {
  return r === Register.None ? undefined : REGISTER_NAMES[r]?.toLowerCase();
}

const STRING_STORES = new Set<number>([
  Mnemonic.Stosb,
  Mnemonic.Stosw,
  Mnemonic.Stosd,
  Mnemonic.Stosq,
  Mnemonic.Movsb,
  Mnemonic.Movsw,
  Mnemonic.Movsd,
  Mnemonic.Movsq,
]);
const STRING_ELEMENT: Record<string, number> = { b: 1, w: 2, d: 4, q: 8 };
const STACK_WRITERS = new Set<number>([Mnemonic.Push, Mnemonic.Call, Mnemonic.Pushf, Mnemonic.Pushfq, Mnemonic.Enter]);

const FLOWS: Record<number, Flow> = {
  [FlowControl.Next]: 'next',
  [FlowControl.UnconditionalBranch]: 'branch',
  [FlowControl.ConditionalBranch]: 'conditional',
  [FlowControl.IndirectBranch]: 'indirect',
  [FlowControl.Call]: 'call',
  [FlowControl.IndirectCall]: 'indirect-call',
  [FlowControl.Return]: 'return',
};

function accessName(a: OpAccess): MemoryWrite['access'] | undefined {
  switch (a) {
    case OpAccess.Write:
      return 'write';
    case OpAccess.CondWrite:
      return 'condWrite';
    case OpAccess.ReadWrite:
      return 'readWrite';
    case OpAccess.ReadCondWrite:
      return 'readCondWrite';
    default:
      return undefined;
  }
}

function signedHex(n: bigint): string {
  return n === 0n ? '' : n < 0n ? `-0x${(-n).toString(16)}` : `+0x${n.toString(16)}`;
}

/** Decodes code sections of one ELF file; relocations of each section are read once. */
export class CodeDecoder {
  readonly elf: ElfFile;
  private readonly relocs = new Map<number, Map<number, Relocation>>();
  private readonly infoFactory = new InstructionInfoFactory();

  constructor(elf: ElfFile) {
    this.elf = elf;
  }

  /** The relocations applying to `section`, by section offset (ET_REL only). */
  private relocationsOf(section: ElfSection): Map<number, Relocation> {
    let m = this.relocs.get(section.index);
    if (m === undefined) {
      m = new Map();
      if (this.elf.isRelocatable) {
        for (const rs of this.elf.relocationSectionsFor(section)) for (const r of this.elf.relocations(rs)) m.set(Number(r.offset), r);
      }
      this.relocs.set(section.index, m);
    }
    return m;
  }

  /** "sym+0x10" for a relocation's symbol (section symbols by their section's name) plus `addend`. */
  private target(r: Relocation, addend: bigint): string {
    const s = this.elf.symbols[r.symbolIndex];
    let name = s?.name ?? `symbol#${r.symbolIndex}`;
    if (s !== undefined && s.type === STT_SECTION) name = this.elf.sections[s.sectionIndex]?.name ?? name;
    return name + signedHex(addend);
  }

  /**
   * Decodes the bytes of `symbol` (st_value .. st_value + st_size in its section).
   * @throws ElfError if the symbol lies outside its section
   */
  decodeSymbol(symbol: ElfSymbol): FunctionCode {
    const section = this.elf.section(symbol.sectionIndex, `the section of symbol ${symbol.name}`);
    const data = this.elf.sectionData(section);
    const start = symbol.sectionOffset;
    if (start === undefined || start + symbol.size > data.length) {
      throw new ElfError({
        file: this.elf.file,
        section: section.name,
        offset: start,
        expected: `symbol ${symbol.name} (size ${symbol.size}) inside ${section.name} (size 0x${data.length.toString(16)})`,
        found: `offset ${start === undefined ? 'unknown' : `0x${start.toString(16)}`}`,
      });
    }
    const relocs = this.relocationsOf(section);
    const bytes = data.subarray(start, start + symbol.size);
    const ip0 = section.addr + BigInt(start);
    const decoder = new Decoder(64, bytes, DecoderOptions.None);
    decoder.ip = ip0;
    const instr = new Instruction();
    const out: DecodedInstruction[] = [];
    try {
      while (decoder.canDecode) {
        const pos = decoder.position;
        decoder.decodeOut(instr);
        const offset = sectionOffset(start + pos);
        const length = instr.length;
        const invalid = instr.isInvalid;
        const mnemonic = invalid ? '(bad)' : (MNEMONIC_NAMES[instr.mnemonic] ?? '?').toLowerCase();
        if (invalid) {
          out.push({ offset, length, mnemonic, writes: [], flow: 'interrupt', registersWritten: [] });
          continue;
        }
        const info = this.infoFactory.info(instr);
        const writes = this.writesOf(decoder, instr, info, start + pos, relocs);
        const registersWritten = this.registersWrittenOf(info);
        info.free();
        const flow = FLOWS[instr.flowControl] ?? 'interrupt';
        // a rel32 branch to a symbol of another section carries a relocation in its last 4 bytes
        const local = (flow === 'branch' || flow === 'conditional') && !relocs.has(start + pos + length - 4);
        const branchTarget = local ? sectionOffset(Number(instr.nearBranchTarget - section.addr)) : undefined;
        out.push({ offset, length, mnemonic, writes, flow, ...(branchTarget !== undefined ? { branchTarget } : {}), registersWritten });
      }
    } finally {
      instr.free();
      decoder.free();
    }
    return { symbol, section, instructions: out };
  }

  /** The full 64-bit general-purpose registers an instruction writes (iced-x86's used registers with a write access). */
  private registersWrittenOf(info: ReturnType<InstructionInfoFactory['info']>): string[] {
    const out = new Set<string>();
    for (const u of info.usedRegisters()) {
      if (accessName(u.access) !== undefined) {
        const full = RegisterExt.fullRegister(u.register);
        if (RegisterExt.isGPR64(full)) out.add(reg(full)!);
      }
      u.free();
    }
    return [...out];
  }

  private writesOf(
    decoder: Decoder,
    instr: Instruction,
    info: ReturnType<InstructionInfoFactory['info']>,
    place: number,
    relocs: Map<number, Relocation>,
  ): MemoryWrite[] {
    const used = info.usedMemory();
    const writes: MemoryWrite[] = [];
    const mn = instr.mnemonic;
    let dispPlace: number | undefined;
    for (const m of used) {
      const access = accessName(m.access);
      if (access !== undefined) {
        const stringStore = STRING_STORES.has(mn);
        // iced-x86 gives rep-prefixed string operands an unknown memory size: the element size comes from the mnemonic
        const elementWidth = stringStore ? (STRING_ELEMENT[MNEMONIC_NAMES[mn]!.slice(-1)] ?? 0) : MemorySizeExt.size(m.memorySize);
        const rep = stringStore && (instr.hasRepPrefix || instr.hasRepePrefix || instr.hasRepnePrefix);
        const kind: WriteKind = stringStore ? 'string' : STACK_WRITERS.has(mn) && m.base === Register.RSP ? 'stack' : 'explicit';
        const segment = m.segment === Register.FS || m.segment === Register.GS ? reg(m.segment) : undefined;
        // iced-x86 reports a rip-relative operand already resolved (no base, the target as displacement)
        const ipRel = kind === 'explicit' && instr.isIpRelMemoryOperand && m.base === Register.None && m.index === Register.None;
        const base = ipRel ? 'rip' : reg(m.base);
        const index = reg(m.index);
        let displacement = BigInt.asIntN(64, m.displacement);
        let ripTarget: string | undefined;
        let displacementTarget: string | undefined;
        if (kind === 'explicit') {
          if (dispPlace === undefined) {
            const co = decoder.getConstantOffsets(instr);
            dispPlace = co.hasDisplacement ? place + co.displacementOffset : -1;
            co.free();
          }
          const rel = dispPlace >= 0 ? relocs.get(dispPlace) : undefined;
          if (ipRel) {
            // EA = next IP + disp, and disp = S + A − P (PC32), so EA = S + A + (next IP − P)
            if (rel !== undefined) ripTarget = this.target(rel, (rel.addend ?? 0n) + BigInt(place + instr.length - dispPlace));
            else ripTarget = `0x${m.displacement.toString(16)}`;
            displacement = BigInt.asIntN(64, instr.memoryDisplacement - instr.nextIP);
          } else if (rel !== undefined) {
            displacementTarget = this.target(rel, rel.addend ?? 0n);
          }
        }
        const operand: MemoryOperand = {
          ...(base !== undefined ? { base } : {}),
          ...(index !== undefined ? { index } : {}),
          scale: m.scale,
          displacement: Number(displacement),
          ...(segment !== undefined ? { segment } : {}),
          ...(ripTarget !== undefined ? { ripTarget } : {}),
          ...(displacementTarget !== undefined ? { displacementTarget } : {}),
          width: rep ? 0 : elementWidth,
          ...(rep && elementWidth > 0 ? { repElement: elementWidth } : {}),
        };
        writes.push({
          operand,
          kind,
          access,
          repCount: rep ? 'rcx' : undefined,
          elementWidth,
          locked: instr.hasLockPrefix || (mn === Mnemonic.Xchg && kind === 'explicit'),
          displacementTarget,
        });
      }
      m.free();
    }
    return writes;
  }

  /** Every STT_FUNC symbol with a size defined in `section` (default: every executable section), in section and address order. */
  functionSymbols(section?: ElfSection): ElfSymbol[] {
    return this.elf.symbols
      .filter(
        (s) =>
          s.type === STT_FUNC &&
          s.size > 0 &&
          s.sectionOffset !== undefined &&
          (section === undefined ? ((this.elf.sections[s.sectionIndex]?.flags ?? 0n) & 4n) !== 0n : s.sectionIndex === section.index),
      )
      .sort((a, b) => a.sectionIndex - b.sectionIndex || a.sectionOffset! - b.sectionOffset!);
  }

  /** Decodes every function symbol of `section` (default: of every executable section). */
  decodeFunctions(section?: ElfSection): FunctionCode[] {
    return this.functionSymbols(section).map((s) => this.decodeSymbol(s));
  }

  /** Frees the wasm memory of the decoder's instruction-info factory. */
  dispose(): void {
    this.infoFactory.free();
  }
}

/** Decodes every function symbol of the executable sections of `elf`. */
export function decodeFunctions(elf: ElfFile, section?: ElfSection): FunctionCode[] {
  const d = new CodeDecoder(elf);
  try {
    return d.decodeFunctions(section);
  } finally {
    d.dispose();
  }
}
