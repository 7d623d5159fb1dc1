// Owns the terminators (LangRef "Terminator Instructions": ret, br, switch,
// indirectbr, resume, unreachable; invoke and callbr are calls, in
// inst-calls.ts) and exception handling (catchswitch, catchret, cleanupret,
// and the pads of "Other Instructions": landingpad, catchpad, cleanuppad),
// which name their successors and parents the same way.
import * as I from '../instructions.js';
import { Tok } from '../lexer.js';
import { type BasicBlock, ConstantTokenNone, type Value } from '../values.js';
import { parseConstant, parseTypeAndValue, parseValue } from './constants.js';
import type { ParserState } from './state.js';
import { parseType } from './types.js';

/** A terminator or exception-handling instruction, after its opcode. */
export function parseTerminatorOrEHInstruction(p: ParserState, op: string, opAt: number): I.Instruction {
  const T = p.types;
  switch (op) {
    case 'ret': {
      const t = parseType(p, true);
      if (t.kind === 'void') return new I.ReturnInst(T.void, []);
      return new I.ReturnInst(T.void, [parseValue(p, t)]);
    }
    case 'br': {
      const t = parseType(p);
      if (t.kind === 'label') return new I.BranchInst(T.void, [], [p.parseBareBlockRef()]);
      if (t !== T.i1) p.error('i1 branch condition');
      const c = parseValue(p, t);
      p.expect(Tok.Comma, "','");
      const a = p.parseBlockRef();
      p.expect(Tok.Comma, "','");
      const b = p.parseBlockRef();
      return new I.BranchInst(T.void, [c], [a, b]);
    }
    case 'switch': {
      const cond = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      const def = p.parseBlockRef();
      p.expect(Tok.LSquare, "'['");
      const ops: Value[] = [cond];
      const dests: BasicBlock[] = [];
      while (p.tk() !== Tok.RSquare) {
        const t = parseType(p);
        ops.push(parseConstant(p, t));
        p.expect(Tok.Comma, "','");
        dests.push(p.parseBlockRef());
      }
      p.next();
      return new I.SwitchInst(T.void, ops, def, dests);
    }
    case 'indirectbr': {
      const addr = parseTypeAndValue(p);
      p.expect(Tok.Comma, "','");
      p.expect(Tok.LSquare, "'['");
      const dests: BasicBlock[] = [];
      if (p.tk() !== Tok.RSquare) {
        do dests.push(p.parseBlockRef());
        while (p.eat(Tok.Comma));
      }
      p.expect(Tok.RSquare, "']'");
      return new I.IndirectBrInst(T.void, [addr], dests);
    }
    case 'unreachable':
      return new I.UnreachableInst(T.void, []);
    case 'resume':
      return new I.ResumeInst(T.void, [parseTypeAndValue(p)]);
    case 'landingpad': {
      const t = parseType(p);
      const lp = new I.EHInst(t, [], 'landingpad', []);
      if (p.eatKw('cleanup')) lp.cleanup = true;
      while (p.tk() === Tok.Keyword && (p.lx.text === 'catch' || p.lx.text === 'filter')) {
        lp.clauses.push(p.lx.text as 'catch' | 'filter');
        p.next();
        lp.operands.push(parseTypeAndValue(p));
      }
      return lp;
    }
    case 'catchpad':
    case 'cleanuppad': {
      p.expectKw('within');
      const ops: Value[] = [parseEHPadParent(p)];
      p.expect(Tok.LSquare, "'['");
      if (p.tk() !== Tok.RSquare) {
        do ops.push(parseTypeAndValue(p));
        while (p.eat(Tok.Comma));
      }
      p.expect(Tok.RSquare, "']'");
      return new I.EHInst(T.token, ops, op, []);
    }
    case 'catchswitch': {
      p.expectKw('within');
      const parent = parseEHPadParent(p);
      p.expect(Tok.LSquare, "'['");
      const succ: BasicBlock[] = [];
      do succ.push(p.parseBlockRef());
      while (p.eat(Tok.Comma));
      p.expect(Tok.RSquare, "']'");
      parseUnwindDest(p, succ);
      return new I.EHInst(T.token, [parent], 'catchswitch', succ);
    }
    case 'catchret': {
      p.expectKw('from');
      const pad = parseTypeAndValue(p);
      p.expectKw('to');
      return new I.EHInst(T.void, [pad], 'catchret', [p.parseBlockRef()]);
    }
    case 'cleanupret': {
      p.expectKw('from');
      const pad = parseTypeAndValue(p);
      const succ: BasicBlock[] = [];
      parseUnwindDest(p, succ);
      return new I.EHInst(T.void, [pad], 'cleanupret', succ);
    }
    default:
      return p.errorAt(opAt, 'an instruction opcode', JSON.stringify(op));
  }
}

/** `within none` or `within %parentpad`. */
function parseEHPadParent(p: ParserState): Value {
  if (p.eatKw('none')) return new ConstantTokenNone(p.types.token);
  return parseValue(p, p.types.token);
}

/** `unwind to caller` or `unwind label %bb` (appended to `succ`). */
function parseUnwindDest(p: ParserState, succ: BasicBlock[]): void {
  p.expectKw('unwind');
  if (!p.eatKw('to')) succ.push(p.parseBlockRef());
  else p.expectKw('caller');
}
