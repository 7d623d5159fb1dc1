// Owns the kernel symbol table the classifier reads addresses against: a System.map or
// /proc/kallsyms text (`ADDRESS TYPE NAME [module]`), sorted by address, with the image's section
// bounds (_stext/_etext, __start_rodata/__end_rodata, _sdata/_end). The guests boot with nokaslr,
// so the corpus System.map holds the guest's addresses (bench/classify.ts checks a few).

import { readFileSync } from 'node:fs';

/** The lowest address of the x86-64 kernel image mapping (__START_KERNEL_map). */
const KERNEL_IMAGE = 0xffffffff80000000n;

/** One symbol: address, kallsyms type letter, name. */
export interface KernelSymbol {
  address: bigint;
  type: string;
  name: string;
}

/** Address-sorted symbols with lookups. */
export interface SymbolTable {
  symbols: KernelSymbol[];
  byName: Map<string, bigint>;
  /** Exact data/rodata symbol starts (types d D r R b B): address -> name. */
  dataStarts: Map<bigint, string>;
  text: [bigint, bigint];
  rodata: [bigint, bigint];
  data: [bigint, bigint];
}

/** A System.map or kallsyms line that does not parse: the file, the line number, the text. */
export class SymbolFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly text: string,
  ) {
    super(`${file}:${line}: expected "ADDRESS TYPE NAME", got ${JSON.stringify(text.slice(0, 80))}`);
    this.name = 'SymbolFileError';
  }
}

/** Parses System.map / kallsyms text. */
export function parseSymbols(text: string, file = '<symbols>'): SymbolTable {
  const symbols: KernelSymbol[] = [];
  const lines = text.split('\n');
  lines.forEach((l, k) => {
    if (!l.trim()) return;
    const m = /^([0-9a-fA-F]{1,16})\s+(\S)\s+(\S+)/.exec(l);
    if (!m) throw new SymbolFileError(file, k + 1, l);
    symbols.push({ address: BigInt(`0x${m[1]}`), type: m[2]!, name: m[3]! });
  });
  symbols.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const byName = new Map<string, bigint>();
  const dataStarts = new Map<bigint, string>();
  for (const s of symbols) {
    if (!byName.has(s.name)) byName.set(s.name, s.address);
    // not the per-cpu section's symbols: their "addresses" are offsets (0x1000…), which plain integers repeat
    if ('dDrRbB'.includes(s.type) && s.address >= KERNEL_IMAGE && !dataStarts.has(s.address)) dataStarts.set(s.address, s.name);
  }
  const at = (name: string): bigint => {
    const a = byName.get(name);
    if (a === undefined) throw new SymbolFileError(file, 0, `(no symbol ${name})`);
    return a;
  };
  return {
    symbols,
    byName,
    dataStarts,
    text: [at('_stext'), at('_etext')],
    rodata: [at('__start_rodata'), at('__end_rodata')],
    data: [at('_sdata'), at('_end')],
  };
}

/** Reads a System.map or kallsyms file. */
export function readSymbols(file: string): SymbolTable {
  return parseSymbols(readFileSync(file, 'utf8'), file);
}

/** The symbol at or below `addr` (the function holding a code address), if any. */
export function symbolAt(table: SymbolTable, addr: bigint): KernelSymbol | undefined {
  const s = table.symbols;
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid]!.address <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? s[lo - 1] : undefined;
}
