// A module summary in exactly the shape LLVM's own `irstats` tool prints
// (shared/tools/irstats): the oracle the reader is held to on the corpus.
import { isCallBase, type Instruction } from './instructions.js';
import type { Module } from './module.js';

/** Debug location as irstats prints it: `[line, col, inlinedAt line, col, …]`, or null. */
export type StatsLoc = number[] | null;

export interface FunctionStats {
  name: string;
  blocks: number;
  stores: StatsLoc[];
  calls: { callee: string; loc: StatsLoc }[];
  instructions: number;
  opcodes: Record<string, number>;
}

export interface IrStats {
  source: string;
  functions: FunctionStats[];
  totals: {
    defined: number;
    declared: number;
    globals: number;
    aliases: number;
    namedStructs: number;
    instructions: number;
    debugRecords: number;
    namedMetadata: number;
  };
}

function locOf(i: Instruction): StatsLoc {
  let l = i.debugLoc;
  if (!l) return null;
  const out: number[] = [];
  for (let guard = 0; l && guard < 100_000; guard++) {
    out.push(l.line, l.column);
    const next: typeof l.inlinedAt = l.inlinedAt;
    l = next && next.kind === 'DILocation' ? next : undefined;
  }
  return out;
}

/** Byte-wise string order, as std::map<std::string> sorts. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Summarizes a module as `irstats` does: per defined function its blocks,
 * instruction count, opcode histogram, the debug location of every store and of
 * every direct call to a non-intrinsic function; module totals.
 */
export function summarizeModule(m: Module): IrStats {
  let defined = 0,
    declared = 0,
    insts = 0,
    records = 0;
  const functions: FunctionStats[] = [];
  for (const f of m.functions) {
    if (!f.isDefinition) {
      declared++;
      continue;
    }
    defined++;
    const ops = new Map<string, number>();
    const stores: StatsLoc[] = [];
    const calls: { callee: string; loc: StatsLoc }[] = [];
    let n = 0;
    for (const b of f.blocks) {
      for (const i of b.instructions) {
        n++;
        ops.set(i.opcode, (ops.get(i.opcode) ?? 0) + 1);
        if (i.debugRecords) records += i.debugRecords.length;
        if (i.opcode === 'store') stores.push(locOf(i));
      }
    }
    for (const b of f.blocks) {
      for (const i of b.instructions) {
        if (!isCallBase(i)) continue;
        const callee = i.calledFunction;
        if (!callee || callee.isIntrinsic) continue;
        calls.push({ callee: callee.name, loc: locOf(i) });
      }
    }
    const opcodes: Record<string, number> = {};
    for (const k of [...ops.keys()].sort(byteOrder)) opcodes[k] = ops.get(k)!;
    functions.push({ name: f.name, blocks: f.blocks.length, stores, calls, instructions: n, opcodes });
    insts += n;
  }
  return {
    source: m.sourceFilename ?? m.filename,
    functions,
    totals: {
      defined,
      declared,
      globals: m.globals.length,
      aliases: m.aliases.length,
      namedStructs: m.structTypes.filter((s) => !s.numbered).length,
      instructions: insts,
      debugRecords: records,
      namedMetadata: m.namedMetadata.size,
    },
  };
}
