// Owns the control-flow graph of one machine function (issue 15 item 2): basic blocks of the
// decoded instructions (x86/decode.ts's `flow` and `branchTarget`), their edges, the places
// control may arrive at from outside the function, and the dominator tree. It answers the two
// path questions the covered-check proof (coverage.ts) asks: which instructions lie on a path
// from one instruction to another that does not pass the first again, and whether every path
// from the first reaches the second.
//
// Places control may arrive at other than through a decoded edge are roots of the graph (an
// extra edge from a virtual entry): the function's first instruction and every place a
// relocation names (ObjectIndex.entryPoints: jump tables, exception-table fixups, jump-label
// targets, alternatives, `.cold` parts jumping back). Every edge the decoder cannot see lands at
// one of them, so the dominators computed with these roots hold for the real control flow.
// A trap (`ud2`, `int3`, …) may return to the next instruction (WARN does), so it keeps its
// fall-through edge; a call keeps one too.

import type { DecodedInstruction } from './x86/decode.js';

/** One basic block: instructions [start, end) of the function's instruction list. */
export interface Block {
  readonly start: number;
  readonly end: number;
  readonly succ: number[];
  readonly pred: number[];
  /** Control may leave the function from this block (return, tail call, indirect jump, trap, call, a branch out, the end of the code). */
  exits: boolean;
  /** Control may arrive at the block's first instruction from outside the decoded edges. */
  root: boolean;
}

/** The control-flow graph of one function's instructions. */
export class MachineCfg {
  readonly blocks: Block[] = [];
  /** For each instruction (by index), its block. */
  readonly blockOf: Int32Array;
  /** Immediate dominator of each block (−1: the virtual entry; −2: unreachable). */
  private readonly idom: Int32Array;
  /** Reverse postorder number of each block (−1: unreachable). */
  readonly rpo: Int32Array;

  /**
   * @param code the function's instructions in address order
   * @param entries section offsets control may arrive at from outside the decoded edges
   */
  constructor(
    readonly code: readonly DecodedInstruction[],
    entries: ReadonlySet<number>,
  ) {
    const n = code.length;
    const indexOf = new Map<number, number>();
    for (let i = 0; i < n; i++) indexOf.set(code[i]!.offset, i);
    const leader = new Uint8Array(n + 1);
    const root = new Uint8Array(n);
    if (n > 0) leader[0] = root[0] = 1;
    for (let i = 0; i < n; i++) {
      const insn = code[i]!;
      if (entries.has(insn.offset)) leader[i] = root[i] = 1;
      if (insn.flow !== 'next') leader[i + 1] = 1;
      if (insn.branchTarget !== undefined) {
        const t = indexOf.get(insn.branchTarget);
        if (t !== undefined) leader[t] = 1;
      }
    }
    this.blockOf = new Int32Array(n);
    for (let i = 0; i < n; ) {
      let j = i + 1;
      while (j < n && leader[j] === 0) j++;
      const b = this.blocks.length;
      this.blocks.push({ start: i, end: j, succ: [], pred: [], exits: false, root: root[i] === 1 });
      for (let k = i; k < j; k++) this.blockOf[k] = b;
      i = j;
    }
    const edge = (from: number, toInsn: number | undefined): void => {
      const b = this.blocks[from]!;
      if (toInsn === undefined || toInsn >= n) {
        b.exits = true;
        return;
      }
      const to = this.blockOf[toInsn]!;
      if (!b.succ.includes(to)) {
        b.succ.push(to);
        this.blocks[to]!.pred.push(from);
      }
    };
    for (const [bi, b] of this.blocks.entries()) {
      const last = code[b.end - 1]!;
      const target = last.branchTarget !== undefined ? indexOf.get(last.branchTarget) : undefined;
      switch (last.flow) {
        case 'next':
          edge(bi, b.end);
          break;
        case 'branch':
          edge(bi, target);
          break;
        case 'conditional':
          edge(bi, b.end);
          edge(bi, target);
          break;
        case 'call':
        case 'indirect-call':
        case 'interrupt':
          // the callee or trap handler may not come back (noreturn, BUG), or come back to the next instruction
          b.exits = true;
          edge(bi, b.end);
          break;
        default:
          // return, indirect jump: its targets (jump tables) are relocation-named roots
          b.exits = true;
      }
    }
    // reverse postorder from the virtual entry (whose successors are the roots)
    const m = this.blocks.length;
    this.rpo = new Int32Array(m).fill(-1);
    const order: number[] = [];
    const seen = new Uint8Array(m);
    for (const [r, rb] of this.blocks.entries()) {
      if (!rb.root || seen[r]) continue;
      const stack: [number, number][] = [[r, 0]];
      seen[r] = 1;
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const s = this.blocks[top[0]]!.succ;
        if (top[1] < s.length) {
          const next = s[top[1]++]!;
          if (!seen[next]) {
            seen[next] = 1;
            stack.push([next, 0]);
          }
        } else {
          order.push(top[0]);
          stack.pop();
        }
      }
    }
    order.reverse();
    for (const [i, b] of order.entries()) this.rpo[b] = i;
    // Cooper, Harvey, Kennedy: "A Simple, Fast Dominance Algorithm"; −1 is the virtual entry
    this.idom = new Int32Array(m).fill(-2);
    for (const b of order) if (this.blocks[b]!.root) this.idom[b] = -1;
    const intersect = (a: number, b: number): number => {
      while (a !== b) {
        if (a === -1 || b === -1) return -1;
        while (a !== -1 && b !== -1 && this.rpo[a]! > this.rpo[b]!) a = this.idom[a]!;
        while (a !== -1 && b !== -1 && this.rpo[b]! > this.rpo[a]!) b = this.idom[b]!;
      }
      return a;
    };
    for (let changed = true; changed; ) {
      changed = false;
      for (const b of order) {
        if (this.blocks[b]!.root) continue;
        let d = -2;
        for (const p of this.blocks[b]!.pred) {
          if (this.idom[p] === -2) continue;
          d = d === -2 ? p : intersect(p, d);
        }
        if (d !== this.idom[b]) {
          this.idom[b] = d;
          changed = true;
        }
      }
    }
  }

  /** True when every path from a root to block `b` passes block `a` (a ≠ b, both reachable). */
  dominates(a: number, b: number): boolean {
    if (this.idom[a] === -2 || this.idom[b] === -2) return false;
    for (let d = this.idom[b]!; d >= 0; d = this.idom[d]!) if (d === a) return true;
    return false;
  }

  /**
   * The paths from instruction `from` to instruction `to` (a later instruction of `from`'s block,
   * or one in a block `from`'s block dominates) that do not pass `from` again: the instructions on
   * them, `from` included, `to` only when a path passes it before arriving (a loop), and whether
   * every path leaving `from` arrives at `to` without passing `from` again, leaving the function or
   * going round a loop (`mustReach`). Undefined when `to` cannot be reached that way.
   */
  between(from: number, to: number): { instructions: number[]; mustReach: boolean } | undefined {
    const b1 = this.blockOf[from]!;
    const b2 = this.blockOf[to]!;
    const range = (s: number, e: number, out: number[]): void => {
      for (let i = s; i < e; i++) out.push(i);
    };
    if (b1 === b2 && from < to) {
      // inside one block: a path round a loop re-enters at the block's start and passes `from` again
      const out: number[] = [];
      range(from, to, out);
      return { instructions: out, mustReach: true };
    }
    if (b1 === b2) return undefined;
    const m = this.blocks.length;
    // forward from b1's successors, never entering b1 (that would pass `from` again)
    const fwd = this.closure(this.blocks[b1]!.succ, 'succ', [b1]);
    if (!fwd[b2]) return undefined;
    // backward from b2's predecessors, never through b1
    const bwd = this.closure(this.blocks[b2]!.pred, 'pred', [b1]);
    const out: number[] = [];
    range(from, this.blocks[b1]!.end, out);
    range(this.blocks[b2]!.start, to, out);
    for (let b = 0; b < m; b++) if (b !== b2 && fwd[b] && bwd[b]) range(this.blocks[b]!.start, this.blocks[b]!.end, out);
    // b2 on a loop back to itself: the rest of it, `to` included, lies on a path too
    if (bwd[b2]) range(to, this.blocks[b2]!.end, out);
    // must reach: the blocks reachable from b1 before b1 or b2 again all reach b2, none exits, and no cycle among them
    let mustReach = !this.blocks[b1]!.exits;
    if (mustReach) {
      const r = this.closure(this.blocks[b1]!.succ, 'succ', [b1, b2]);
      const inner: number[] = [];
      for (let x = 0; x < m; x++) if (r[x]) inner.push(x);
      for (const x of inner) if (this.blocks[x]!.exits || !bwd[x]) mustReach = false;
      if (mustReach && inner.length > 0) mustReach = this.acyclic(inner, r);
    }
    return { instructions: out, mustReach };
  }

  /** The blocks reachable from `starts` along `edges`, never entering `avoid` (flags by block). */
  private closure(starts: readonly number[], edges: 'succ' | 'pred', avoid: readonly number[]): Uint8Array {
    const seen = new Uint8Array(this.blocks.length);
    const work: number[] = [];
    const visit = (b: number): void => {
      if (!seen[b] && !avoid.includes(b)) {
        seen[b] = 1;
        work.push(b);
      }
    };
    for (const b of starts) visit(b);
    while (work.length > 0) for (const b of this.blocks[work.pop()!]![edges]) visit(b);
    return seen;
  }

  /** True when the subgraph of blocks `set` (flags `in`) has no cycle (Kahn's algorithm). */
  private acyclic(set: readonly number[], inside: Uint8Array): boolean {
    const indeg = new Map<number, number>(set.map((b) => [b, 0]));
    for (const b of set) for (const s of this.blocks[b]!.succ) if (inside[s]) indeg.set(s, indeg.get(s)! + 1);
    const ready = set.filter((b) => indeg.get(b) === 0);
    let done = 0;
    while (ready.length > 0) {
      const b = ready.pop()!;
      done++;
      for (const s of this.blocks[b]!.succ) {
        if (!inside[s]) continue;
        const d = indeg.get(s)! - 1;
        indeg.set(s, d);
        if (d === 0) ready.push(s);
      }
    }
    return done === set.length;
  }
}
