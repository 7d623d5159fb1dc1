// Owns the indirect-call → machine-instruction mapping (issue 16, DESIGN.md §4): for each
// indirect call of a policy (`indirectCalls`), the machine instructions that make it at the
// call's source location — rows of file:line:column inside the caller's symbol, the inline chain
// matched frame by frame as for writes and allocation calls, the same line at another column as a
// fallback — and, for each, where the target is when the instruction starts: a register
// (`call *%rax`, `jmp *%r11` tail calls), a memory operand (`call *0x10(%rax)`), or, on a
// CONFIG_RETPOLINE kernel, the register named by the thunk a direct `call`/`jmp` reaches through
// its relocation (`cs call __x86_indirect_thunk_r11`). A kprobe at that instruction reads the
// target before the call happens (the run time's kc_icall_N programs).

import { Decoder, DecoderOptions, FlowControl, Instruction, InstructionInfoFactory, Mnemonic, OpAccess, OpKind, Register } from 'iced-x86';
import type { BinarySite, IndirectCall, MemoryOperand, Policy } from '../policy/schema.js';
import { STT_SECTION } from './elf/constants.js';
import type { ElfSection } from './elf/file.js';
import type { ElfSymbol } from './elf/symbols.js';
import { ObjectIndex, instructionsInSpans, objectsDefining, type MapperObject, type RowSpan, type SpanWalk } from './object-index.js';
import type { DecodedInstruction } from './x86/decode.js';

/** Why an indirect call gets no probe. */
export type IndirectCallUnmappedReason =
  | 'no-location' // the IR call carries no debug location
  | 'line-0' // its location is line 0 (merged by the optimizer)
  | 'no-symbol' // no object defines the call's function
  | 'no-rows' // the function has no line-table row at the call's file:line (any column)
  | 'inlined-away' // rows exist, but none under the call's inline chain
  | 'no-indirect-call'; // the matched instructions make no indirect call (devirtualized, or merged elsewhere)

/** Counts of one indirect-call mapping run. */
export interface IndirectCallMapStats {
  readonly sites: number;
  /** Calls with one machine instruction. */
  readonly exact: number;
  /** Calls with several (inlined copies, several calls on one line). */
  readonly ambiguous: number;
  readonly unmapped: number;
  readonly unmappedReasons: Readonly<Record<IndirectCallUnmappedReason, number>>;
  /** Machine instructions recorded (exact + every ambiguous one). */
  readonly instructions: number;
  /** Of those, by how the target is read: a register, a memory operand, a retpoline thunk's register. */
  readonly forms: Readonly<{ register: number; memory: number; thunk: number }>;
  /** Of those, tail calls (`jmp`). */
  readonly tailCalls: number;
  /** Calls mapped only through a row of the same line at another column. */
  readonly byLine: number;
  /** Calls mapped to a call the backend merged with others (found by the innermost file:line, any inline chain): always ambiguous. */
  readonly merged: number;
  /** Instructions probed at the instruction before the call ({@link indirectCallProbe}). */
  readonly probedBefore: number;
  /** Instructions no probe can be placed for (a site `unmapped` with reason `unprobeable: …`). */
  readonly unprobeable: number;
}

/** How an indirect call instruction finds its target. */
export interface IndirectCallForm {
  readonly tail: boolean;
  /** The register holding the target (`call *%reg`, or the thunk's register). */
  readonly register?: string;
  /** The retpoline thunk called (`__x86_indirect_thunk_r11`). */
  readonly thunk?: string;
  /** The memory word holding the target (`call *disp(%base,%index,scale)`); width 8. */
  readonly memory?: MemoryOperand;
}

const REGISTER_NAMES = Register as unknown as Record<number, string>;
const THUNK = /^__x86_indirect_(?:jump_|call_)?thunk_(r(?:[abcd]x|[sd]i|bp|sp|8|9|1[0-5]))$/;

function regName(r: Register): string | undefined {
  return r === Register.None ? undefined : REGISTER_NAMES[r]?.toLowerCase();
}

/**
 * The indirect-call form of `insn`, or undefined when it is no indirect call or tail call: a
 * `call`/`jmp` through a register or memory (decoded by iced-x86), or a direct `call rel32` /
 * `jmp rel32` (any prefixes: clang writes `cs call` for the thunks) whose displacement's relocation
 * names a retpoline thunk.
 */
export function indirectCallForm(object: ObjectIndex, section: ElfSection, insn: DecodedInstruction): IndirectCallForm | undefined {
  if (insn.mnemonic !== 'call' && insn.mnemonic !== 'jmp') return undefined;
  const tail = insn.mnemonic === 'jmp';
  const data = object.elf.sectionData(section);
  const end = insn.offset + insn.length;
  const op = data[end - 5];
  if (insn.length >= 5 && (op === 0xe8 || op === 0xe9)) {
    // the thunk its displacement's relocation names (an object file's; a linked image has none)
    const callee = object.elf.isRelocatable ? object.directCallee(section, insn) : undefined;
    const m = callee === undefined ? null : THUNK.exec(callee);
    return m ? { tail, register: m[1]!, thunk: callee! } : undefined;
  }
  const decoder = new Decoder(64, data.subarray(insn.offset, end), DecoderOptions.None);
  const instr = new Instruction();
  try {
    decoder.decodeOut(instr);
    if (instr.isInvalid) return undefined;
    const flow = instr.flowControl;
    if (flow !== FlowControl.IndirectCall && flow !== FlowControl.IndirectBranch) return undefined;
    if (instr.op0Kind === OpKind.Register) {
      const register = regName(instr.op0Register);
      return register !== undefined && /^r/.test(register) ? { tail, register } : undefined;
    }
    if (instr.op0Kind !== OpKind.Memory || instr.isIpRelMemoryOperand) return undefined;
    const base = regName(instr.memoryBase);
    const index = regName(instr.memoryIndex);
    const seg = instr.memorySegment === Register.GS || instr.memorySegment === Register.FS ? regName(instr.memorySegment) : undefined;
    let displacementTarget: string | undefined;
    if (instr.memoryDisplSize === 4) {
      // kernel code model: `call *table(,%rax,8)` — the displacement is a relocation
      const r = object.relocationAt(section, end - 4);
      const s = r === undefined ? undefined : object.elf.symbols[r.symbolIndex];
      if (s !== undefined) {
        const name = s.type === STT_SECTION ? (object.elf.sections[s.sectionIndex]?.name ?? s.name) : s.name;
        const add = Number(r!.addend ?? 0n);
        displacementTarget = add === 0 ? name : `${name}${add < 0 ? '-' : '+'}0x${Math.abs(add).toString(16)}`;
      }
    }
    const memory: MemoryOperand = {
      ...(base !== undefined ? { base } : {}),
      ...(index !== undefined ? { index } : {}),
      scale: instr.memoryIndexScale,
      displacement: Number(BigInt.asIntN(64, instr.memoryDisplacementU64)),
      ...(seg !== undefined ? { segment: seg } : {}),
      ...(displacementTarget !== undefined ? { displacementTarget } : {}),
      width: 8,
    };
    return { tail, memory };
  } finally {
    instr.free();
    decoder.free();
  }
}

/** Where a kprobe reads an indirect call's target: the instruction before the call, or the call itself. */
export interface IndirectCallProbe {
  /** Section offset of the probed instruction. */
  readonly offset: number;
  readonly register?: string;
  readonly memory?: MemoryOperand;
  /** How the probe point was chosen. */
  readonly note?: string;
}

const R64: Record<string, string> = {};
for (const [a, b, c, d] of [
  ['rax', 'eax', 'ax', 'al'],
  ['rbx', 'ebx', 'bx', 'bl'],
  ['rcx', 'ecx', 'cx', 'cl'],
  ['rdx', 'edx', 'dx', 'dl'],
  ['rsi', 'esi', 'si', 'sil'],
  ['rdi', 'edi', 'di', 'dil'],
  ['rbp', 'ebp', 'bp', 'bpl'],
  ['rsp', 'esp', 'sp', 'spl'],
] as const)
  for (const r of [a, b, c, d]) R64[r] = a;
for (let n = 8; n <= 15; n++) for (const suf of ['', 'd', 'w', 'b']) R64[`r${n}${suf}`] = `r${n}`;

/** The branch targets (section offsets) of the direct jumps of a function's code. */
function branchTargets(object: ObjectIndex, section: ElfSection, symbol: ElfSymbol): Set<number> {
  const data = object.elf.sectionData(section);
  const start = symbol.sectionOffset!;
  const decoder = new Decoder(64, data.subarray(start, start + symbol.size), DecoderOptions.None);
  decoder.ip = BigInt(start);
  const instr = new Instruction();
  const out = new Set<number>();
  try {
    while (decoder.canDecode) {
      decoder.decodeOut(instr);
      const f = instr.flowControl;
      if (
        (f === FlowControl.ConditionalBranch || f === FlowControl.UnconditionalBranch) &&
        instr.op0Kind !== OpKind.Register &&
        instr.op0Kind !== OpKind.Memory
      )
        out.add(Number(instr.nearBranchTarget));
    }
  } finally {
    instr.free();
    decoder.free();
  }
  return out;
}

/**
 * Where to read an indirect call's target without probing the call itself: x86 kprobes emulate a
 * probed `call` and push a return address CALL_INSN_SIZE (5) bytes on, which for a 6-byte
 * `cs call __x86_indirect_thunk_*` or a 2–3-byte `call *%reg` returns into the middle of an
 * instruction (the corpus 6.1 kernel crashes). So the probe goes on the instruction just before
 * the call, when every execution of the call passes through it (the call is no branch target)
 * and it is no control transfer: the target is the call's register if that instruction leaves
 * it alone, or — when it loads it (`mov disp(%base), %r11`, `mov %reg, %r11`) — that load's
 * source. A 5-byte call and a tail-call `jmp` (emulated with its real length) are probed as they are.
 */
export function indirectCallProbe(
  object: ObjectIndex,
  section: ElfSection,
  symbol: ElfSymbol,
  code: readonly DecodedInstruction[],
  insn: DecodedInstruction,
  form: IndirectCallForm,
): IndirectCallProbe | { unprobeable: string } {
  const here: IndirectCallProbe = {
    offset: insn.offset,
    ...(form.register !== undefined ? { register: form.register } : {}),
    ...(form.memory !== undefined ? { memory: form.memory } : {}),
  };
  if (form.tail || insn.length === 5) return here;
  const at = code.indexOf(insn);
  const prev = at > 0 ? code[at - 1] : undefined;
  if (prev === undefined || prev.offset + prev.length !== insn.offset)
    return { unprobeable: 'no instruction before the call in its function' };
  if (branchTargets(object, section, symbol).has(insn.offset))
    return { unprobeable: 'the call is a branch target (no single instruction before it)' };
  const data = object.elf.sectionData(section);
  const decoder = new Decoder(64, data.subarray(prev.offset, prev.offset + prev.length), DecoderOptions.None);
  const instr = new Instruction();
  try {
    decoder.decodeOut(instr);
    if (instr.isInvalid || instr.flowControl !== FlowControl.Next)
      return { unprobeable: `the instruction before the call is a ${prev.mnemonic}` };
    const info = new InstructionInfoFactory().info(instr);
    const written = info
      .usedRegisters()
      .filter(
        (u) =>
          u.access === OpAccess.Write ||
          u.access === OpAccess.ReadWrite ||
          u.access === OpAccess.CondWrite ||
          u.access === OpAccess.ReadCondWrite,
      )
      .map((u) => R64[regName(u.register) ?? ''] ?? regName(u.register));
    info.free();
    const used = [form.register, form.memory?.base, form.memory?.index].filter((r): r is string => r !== undefined);
    const note = `probed at the instruction before the call (${prev.mnemonic}): a probed call returns to the wrong address`;
    if (!used.some((r) => written.includes(r))) return { ...here, offset: prev.offset, note };
    // the instruction loads the call's register: read the target from its source
    if (
      form.register !== undefined &&
      instr.mnemonic === Mnemonic.Mov &&
      instr.op0Kind === OpKind.Register &&
      R64[regName(instr.op0Register) ?? ''] === form.register &&
      regName(instr.op0Register) === form.register
    ) {
      if (instr.op1Kind === OpKind.Register) {
        const src = regName(instr.op1Register);
        if (src !== undefined && R64[src] === src)
          return { offset: prev.offset, register: src, note: `${note}; the target is its source register` };
      }
      if (
        instr.op1Kind === OpKind.Memory &&
        !instr.isIpRelMemoryOperand &&
        instr.memorySegment !== Register.GS &&
        instr.memorySegment !== Register.FS &&
        instr.memoryDisplSize !== 4
      ) {
        const base = regName(instr.memoryBase);
        const index = regName(instr.memoryIndex);
        const memory: MemoryOperand = {
          ...(base !== undefined ? { base } : {}),
          ...(index !== undefined ? { index } : {}),
          scale: instr.memoryIndexScale,
          displacement: Number(BigInt.asIntN(64, instr.memoryDisplacementU64)),
          width: 8,
        };
        return { offset: prev.offset, memory, note: `${note}; the target is the word it loads` };
      }
    }
    return { unprobeable: `the instruction before the call (${prev.mnemonic}) computes the target` };
  } finally {
    instr.free();
    decoder.free();
  }
}

interface FoundCall {
  readonly object: ObjectIndex;
  readonly symbol: ElfSymbol;
  readonly section: ElfSection;
  readonly insn: DecodedInstruction;
  readonly form: IndirectCallForm;
}

/** The machine instructions of one indirect call at its location, or why there are none. */
export function indirectCallInstructions(
  call: IndirectCall,
  objects: readonly ObjectIndex[],
): {
  calls: FoundCall[];
  tier?: 'location' | 'line' | 'merged';
  reason?: IndirectCallUnmappedReason;
  symbol?: { object: ObjectIndex; symbol: ElfSymbol };
} {
  if (call.location.length === 0) return { calls: [], reason: 'no-location' };
  const inner = call.location[0]!;
  const outs = objectsDefining(call.function, call.module, objects);
  if (outs.length === 0) return { calls: [], reason: 'no-symbol' };
  const first = { object: outs[0]!, symbol: outs[0]!.symbolsNamed(call.function)[0]! };
  if (inner.line === 0) return { calls: [], reason: 'line-0', symbol: first };
  const walk: SpanWalk = { sawRows: false, sawChain: false };
  const collect = (spansOf: (o: ObjectIndex) => readonly RowSpan[]): FoundCall[] => {
    const out: FoundCall[] = [];
    const seen = new Set<string>();
    for (const { object: o, symbol: sym, code, insn } of instructionsInSpans(outs, call.function, call.location, spansOf, walk)) {
      const form = indirectCallForm(o, code.section, insn);
      if (form === undefined) continue;
      const key = `${o.path}\0${code.section.index}\0${insn.offset}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ object: o, symbol: sym, section: code.section, insn, form });
    }
    return out;
  };
  let calls = collect((o) => o.rowsAt(inner.file, inner.line, inner.column));
  let tier: 'location' | 'line' | 'merged' = 'location';
  if (calls.length === 0) {
    const exact = new Set<RowSpan>();
    calls = collect((o) => {
      for (const r of o.rowsAt(inner.file, inner.line, inner.column)) exact.add(r);
      return o.rowsOnLine(inner.file, inner.line).filter((r) => !exact.has(r));
    });
    tier = 'line';
  }
  if (calls.length > 0) return { calls, tier, symbol: first };
  // the backend merged this call with another of the same inlined helper (two `dst_mtu()` calls
  // become one `call`): the merged row's inline chain is neither's, so the call is found by its
  // innermost file:line alone inside the function; every IR call merged there maps to it, and
  // the emitter unites their sets on the one instruction
  const merged: FoundCall[] = [];
  for (const o of outs) {
    const syms = new Set(o.symbolsNamed(call.function));
    for (const span of o.rowsOnLine(inner.file, inner.line)) {
      const sym = o.symbolAt(span.section, span.start);
      if (sym === undefined || !syms.has(sym)) continue;
      const code = o.codeOf(sym);
      for (const insn of code.instructions) {
        if (insn.offset < span.start) continue;
        if (insn.offset >= span.end) break;
        const form = indirectCallForm(o, code.section, insn);
        if (form !== undefined && !merged.some((m) => m.object === o && m.insn.offset === insn.offset))
          merged.push({ object: o, symbol: sym, section: code.section, insn, form });
      }
    }
  }
  if (merged.length > 0) return { calls: merged, tier: 'merged', symbol: first };
  const reason: IndirectCallUnmappedReason = !walk.sawRows ? 'no-rows' : !walk.sawChain ? 'inlined-away' : 'no-indirect-call';
  return { calls, reason, symbol: first };
}

/**
 * The machine instructions of every indirect call of `policy` in `objects`: each call's `binary`
 * gets one site per instruction (`offset` is the call's own, where the kprobe reads the target;
 * `calleeRegister` / `operand` / `thunk` say where the target is; `call: true`), `exact` for one,
 * `ambiguous` for several; a call with none gets one `unmapped` site with its
 * {@link IndirectCallUnmappedReason}. Objects given as {@link MapperObject}s are indexed and disposed here.
 *
 * @example
 * const { indirectCalls, stats } = mapIndirectCalls(policy, [{ path: "af_inet6.o", elf }]);
 * // indirectCalls[0].binary → [{ object: "af_inet6.o", symbol: "inet6_bind", offset: 0x54, calleeRegister: "r11", thunk: "__x86_indirect_thunk_r11", … }]
 */
export function mapIndirectCalls(
  policy: Pick<Policy, 'indirectCalls'>,
  objects: readonly MapperObject[] | readonly ObjectIndex[],
): { indirectCalls: IndirectCall[]; stats: IndirectCallMapStats } {
  const owned = objects.length > 0 && !(objects[0] instanceof ObjectIndex);
  const indexes = owned ? (objects as readonly MapperObject[]).map((o) => new ObjectIndex(o)) : (objects as readonly ObjectIndex[]);
  const reasons: Record<IndirectCallUnmappedReason, number> = {
    'no-location': 0,
    'line-0': 0,
    'no-symbol': 0,
    'no-rows': 0,
    'inlined-away': 0,
    'no-indirect-call': 0,
  };
  const forms = { register: 0, memory: 0, thunk: 0 };
  let exact = 0,
    ambiguous = 0,
    unmapped = 0,
    instructions = 0,
    tailCalls = 0,
    byLine = 0,
    mergedCalls = 0,
    probedBefore = 0,
    unprobeable = 0;
  try {
    const indirectCalls = (policy.indirectCalls ?? []).map((call): IndirectCall => {
      const { calls, reason, symbol, tier } = indirectCallInstructions(call, indexes);
      if (calls.length === 0) {
        unmapped++;
        reasons[reason!]++;
        const site: BinarySite = {
          object: symbol?.object.path ?? '',
          symbol: symbol?.symbol.name ?? call.function,
          offset: 0,
          section: symbol !== undefined ? (symbol.object.elf.sections[symbol.symbol.sectionIndex]?.name ?? '') : '',
          confidence: 'unmapped',
          reason: reason!,
        };
        return { ...call, binary: [site] };
      }
      const confidence = calls.length === 1 && tier !== 'merged' ? 'exact' : 'ambiguous';
      if (confidence === 'exact') exact++;
      else ambiguous++;
      if (tier === 'line') byLine++;
      if (tier === 'merged') mergedCalls++;
      const binary = calls.map((c): BinarySite => {
        instructions++;
        if (c.form.tail) tailCalls++;
        if (c.form.thunk !== undefined) forms.thunk++;
        else if (c.form.memory !== undefined) forms.memory++;
        else forms.register++;
        const probe = indirectCallProbe(c.object, c.section, c.symbol, c.object.codeOf(c.symbol).instructions, c.insn, c.form);
        const callOffset = c.insn.offset - c.symbol.sectionOffset!;
        if ('unprobeable' in probe) {
          unprobeable++;
          return {
            object: c.object.path,
            symbol: c.symbol.name,
            offset: callOffset,
            section: c.section.name,
            call: true,
            confidence: 'unmapped',
            reason: `unprobeable: ${probe.unprobeable}`,
          };
        }
        if (probe.offset !== c.insn.offset) probedBefore++;
        const notes: string[] = [];
        if (tier === 'line') notes.push('call row on the same line at another column');
        if (tier === 'merged') notes.push('a call merged by the backend: found by the innermost file:line, any inline chain');
        if (c.form.tail) notes.push('tail call (jmp)');
        if (probe.note !== undefined) notes.push(probe.note);
        return {
          object: c.object.path,
          symbol: c.symbol.name,
          offset: probe.offset - c.symbol.sectionOffset!,
          section: c.section.name,
          ...(probe.memory !== undefined ? { operand: probe.memory } : {}),
          ...(probe.register !== undefined ? { calleeRegister: probe.register } : {}),
          ...(c.form.thunk !== undefined ? { thunk: c.form.thunk } : {}),
          ...(probe.offset !== c.insn.offset ? { callOffset } : {}),
          call: true,
          confidence,
          ...(notes.length > 0 ? { reason: notes.join('; ') } : {}),
        };
      });
      return { ...call, binary };
    });
    return {
      indirectCalls,
      stats: {
        sites: indirectCalls.length,
        exact,
        ambiguous,
        unmapped,
        unmappedReasons: reasons,
        instructions,
        forms,
        tailCalls,
        byLine,
        merged: mergedCalls,
        probedBefore,
        unprobeable,
      },
    };
  } finally {
    if (owned) for (const o of indexes) o.dispose();
  }
}
