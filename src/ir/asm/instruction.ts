// Owns one instruction line (LangRef "Instruction Reference"):
// `[%result =] <opcode> …[, !kind !N]*`. It names the result, dispatches on
// the opcode's family from the one table in ../opcodes.ts to the grammar
// file of that family (inst-terminators, inst-memory, inst-calls,
// inst-other), registers forward-referenced operands, and reads the trailing
// metadata attachments.
import type { Instruction } from '../instructions.js';
import { Tok } from '../lexer.js';
import { OPCODES, type OpcodeFamily } from '../opcodes.js';
import { parseCallInstruction } from './inst-calls.js';
import { parseMemoryInstruction } from './inst-memory.js';
import { parseOtherInstruction } from './inst-other.js';
import { parseTerminatorOrEHInstruction } from './inst-terminators.js';
import { parseInstAttachment } from './metadata.js';
import type { ParserState } from './state.js';

/** The family of every word that may start an instruction: the opcodes, and the call-site markers `tail`, `musttail`, `notail`. */
const FAMILY_OF: ReadonlyMap<string, OpcodeFamily> = new Map<string, OpcodeFamily>([
  ...Object.entries(OPCODES).map(([op, info]): [string, OpcodeFamily] => [op, info.family]),
  ['tail', 'call'],
  ['musttail', 'call'],
  ['notail', 'call'],
]);

/** An instruction, named or numbered, with its attachments. */
export function parseInstruction(p: ParserState): Instruction {
  let name: string | undefined;
  let numbered = false;
  const at = p.lx.start;
  if (p.tk() === Tok.LocalVar || p.tk() === Tok.LocalVarId) {
    numbered = p.tk() === Tok.LocalVarId;
    name = p.lx.text;
    p.next();
    p.expect(Tok.Equal, "'='");
  }
  if (p.tk() !== Tok.Keyword) p.error('an instruction opcode');
  const opAt = p.lx.start;
  const op = p.lx.text;
  p.next();
  const inst = parseByFamily(p, op, opAt);
  p.track(inst);
  if (name !== undefined) {
    if (inst.type.kind === 'void') p.errorAt(at, 'no name for an instruction that returns void', `%${name}`);
    inst.name = name;
    p.defineLocal(name, numbered, inst, at);
  } else if (inst.type.kind !== 'void') {
    p.numberLocal(inst);
  }
  // trailing `, !kind !N` attachments (the comma may have been eaten by the instruction's own optional list)
  const ateComma = p.ateAttachmentComma;
  p.ateAttachmentComma = false;
  if (ateComma || p.eat(Tok.Comma)) {
    do {
      if (p.tk() !== Tok.MetadataVar) p.error('a metadata attachment');
      parseInstAttachment(p, inst);
    } while (p.eat(Tok.Comma));
  }
  return inst;
}

function parseByFamily(p: ParserState, op: string, opAt: number): Instruction {
  switch (FAMILY_OF.get(op)) {
    case 'terminator':
    case 'exception':
      return parseTerminatorOrEHInstruction(p, op, opAt);
    case 'call':
      return parseCallInstruction(p, op);
    case 'memory':
      return parseMemoryInstruction(p, op, opAt);
    case undefined:
      return p.errorAt(opAt, 'an instruction opcode', JSON.stringify(op));
    default:
      return parseOtherInstruction(p, op, opAt);
  }
}
