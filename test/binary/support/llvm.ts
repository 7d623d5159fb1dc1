// Test support for test/binary: running LLVM's tools (a small pool of child
// processes) and parsing the text they print — llvm-dwarfdump --debug-line
// (headers and row tables), llvm-readelf -S / -s / -r — into plain objects
// the tests compare src/binary's results with.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DWARFDUMP = process.env['LLVM_DWARFDUMP'] ?? 'llvm-dwarfdump-19';
export const READELF = process.env['LLVM_READELF'] ?? 'llvm-readelf-19';
export const SYMBOLIZER = process.env['LLVM_SYMBOLIZER'] ?? 'llvm-symbolizer-19';

/** ../shared/corpus/linux-6.1/net/ipv6 from the repository root (KCOMPART_CORPUS overrides the corpus root). */
export function ipv6ObjectDir(): string {
  const corpus = process.env['KCOMPART_CORPUS'] ?? resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'corpus');
  return join(corpus, 'linux-6.1', 'net', 'ipv6');
}

/** The corpus objects, sorted by name ([] if the corpus is absent). */
export function ipv6Objects(): string[] {
  const dir = ipv6ObjectDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.o'))
    .sort()
    .map((n) => join(dir, n));
}

/** Runs a program, resolving with its stdout (rejecting with stderr on failure). */
export function run(cmd: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((res, rej) => {
    const child = execFile(cmd, args, { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else res(stdout);
    });
    if (input !== undefined) {
      child.stdin?.end(input);
    }
  });
}

/** Maps `items` through `fn` with at most `width` calls in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

/** True if `cmd` can be run (for tests that need an LLVM tool or a compiler). */
export async function haveTool(cmd: string, args: readonly string[] = ['--version']): Promise<boolean> {
  try {
    await run(cmd, args);
    return true;
  } catch {
    return false;
  }
}

/** One row of llvm-dwarfdump's line table. */
export interface DumpRow {
  address: bigint;
  line: number;
  column: number;
  file: number;
  isa: number;
  discriminator: number;
  opIndex: number;
  isStmt: boolean;
  basicBlock: boolean;
  endSequence: boolean;
  prologueEnd: boolean;
  epilogueBegin: boolean;
}

export interface DumpFile {
  name: string;
  dirIndex: number;
  md5?: string;
  modTime?: bigint;
  length?: bigint;
}

/** One `debug_line[0x…]` unit as llvm-dwarfdump prints it. */
export interface DumpUnit {
  offset: number;
  totalLength: bigint;
  format: string;
  version: number;
  addressSize?: number;
  prologueLength: bigint;
  minInstLength: number;
  maxOpsPerInst?: number;
  defaultIsStmt: number;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  standardOpcodeLengths: number[];
  includeDirectories: Map<number, string>;
  fileNames: Map<number, DumpFile>;
  rows: DumpRow[];
}

/** Undoes llvm's write_escaped: \\, \", \t, \n, \xx (two hex digits, as raw bytes). */
export function unescapeLlvm(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      const n = s[i + 1]!;
      if (n === '\\' || n === '"') {
        bytes.push(n.charCodeAt(0));
        i++;
        continue;
      }
      if (n === 't') {
        bytes.push(9);
        i++;
        continue;
      }
      if (n === 'n') {
        bytes.push(10);
        i++;
        continue;
      }
      if (/^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
        bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
        i += 2;
        continue;
      }
    }
    for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

const FLAGS = new Set(['is_stmt', 'basic_block', 'end_sequence', 'prologue_end', 'epilogue_begin']);

/** Parses the text of `llvm-dwarfdump --debug-line FILE` (non-verbose). */
export function parseDwarfdumpLines(text: string): DumpUnit[] {
  const units: DumpUnit[] = [];
  let u: DumpUnit | undefined;
  let file: DumpFile | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('0x')) {
      // 0x0000000000000000     35     43      0   0             0       0  is_stmt prologue_end
      const f = line.trim().split(/\s+/);
      if (!u) throw new Error(`row before any unit: ${line}`);
      const flags = f.slice(7);
      for (const fl of flags) if (!FLAGS.has(fl)) throw new Error(`unknown flag ${fl} in: ${line}`);
      u.rows.push({
        address: BigInt(f[0]!),
        line: Number(f[1]),
        column: Number(f[2]),
        file: Number(f[3]),
        isa: Number(f[4]),
        discriminator: Number(f[5]),
        opIndex: Number(f[6]),
        isStmt: flags.includes('is_stmt'),
        basicBlock: flags.includes('basic_block'),
        endSequence: flags.includes('end_sequence'),
        prologueEnd: flags.includes('prologue_end'),
        epilogueBegin: flags.includes('epilogue_begin'),
      });
      continue;
    }
    let m = /^debug_line\[(0x[0-9a-f]+)\]$/.exec(line);
    if (m) {
      u = {
        offset: Number(m[1]),
        totalLength: 0n,
        format: '',
        version: 0,
        prologueLength: 0n,
        minInstLength: 0,
        defaultIsStmt: 0,
        lineBase: 0,
        lineRange: 0,
        opcodeBase: 0,
        standardOpcodeLengths: [],
        includeDirectories: new Map(),
        fileNames: new Map(),
        rows: [],
      };
      units.push(u);
      file = undefined;
      continue;
    }
    if (!u) continue;
    m = /^\s*([a-z0-9_]+): (.*)$/.exec(line);
    if (m && !line.startsWith('file_names')) {
      const [, key, value] = m as unknown as [string, string, string];
      if (file && ['name', 'dir_index', 'md5_checksum', 'mod_time', 'length', 'source'].includes(key)) {
        if (key === 'name') file.name = unescapeLlvm(value.replace(/^"|"$/g, ''));
        else if (key === 'dir_index') file.dirIndex = Number(value);
        else if (key === 'md5_checksum') file.md5 = value;
        else if (key === 'mod_time') file.modTime = BigInt(value);
        else if (key === 'length') file.length = BigInt(value);
        continue;
      }
      switch (key) {
        case 'total_length':
          u.totalLength = BigInt(value);
          break;
        case 'format':
          u.format = value;
          break;
        case 'version':
          u.version = Number(value);
          break;
        case 'address_size':
          u.addressSize = Number(value);
          break;
        case 'prologue_length':
          u.prologueLength = BigInt(value);
          break;
        case 'min_inst_length':
          u.minInstLength = Number(value);
          break;
        case 'max_ops_per_inst':
          u.maxOpsPerInst = Number(value);
          break;
        case 'default_is_stmt':
          u.defaultIsStmt = Number(value);
          break;
        case 'line_base':
          u.lineBase = Number(value);
          break;
        case 'line_range':
          u.lineRange = Number(value);
          break;
        case 'opcode_base':
          u.opcodeBase = Number(value);
          break;
        default:
          break;
      }
      continue;
    }
    m = /^standard_opcode_lengths\[[^\]]+\] = (\d+)$/.exec(line);
    if (m) {
      u.standardOpcodeLengths.push(Number(m[1]));
      continue;
    }
    m = /^include_directories\[\s*(\d+)\] = "(.*)"$/.exec(line);
    if (m) {
      u.includeDirectories.set(Number(m[1]), unescapeLlvm(m[2]!));
      continue;
    }
    m = /^file_names\[\s*(\d+)\]:$/.exec(line);
    if (m) {
      file = { name: '', dirIndex: 0 };
      u.fileNames.set(Number(m[1]), file);
    }
  }
  return units;
}

/** llvm::sys::path::append (POSIX), for the tests' own file-path oracle. */
function llvmAppend(path: string, component: string): string {
  if (path.endsWith('/')) return path + component.replace(/^\/+/, '');
  if (!component.startsWith('/') && path !== '') path += '/';
  return path + component;
}

/**
 * The path LLVM's getFileNameByIndex(AbsoluteFilePath) gives file `index` of a
 * dumped unit (the tests' independent re-statement of the rule, checked
 * against llvm-symbolizer separately); undefined if there is no such file.
 */
export function dumpFilePath(u: DumpUnit, index: number, compDir?: string): string | undefined {
  const f = u.fileNames.get(index);
  if (!f) return undefined;
  if (f.name.startsWith('/')) return f.name;
  const v5 = u.version >= 5;
  const cd = compDir ?? (v5 ? u.includeDirectories.get(0) : undefined);
  const dir = (v5 ? u.includeDirectories.get(f.dirIndex) : f.dirIndex > 0 ? u.includeDirectories.get(f.dirIndex) : undefined) ?? '';
  let p = '';
  if ((!v5 || f.dirIndex !== 0) && cd && !dir.startsWith('/')) p = llvmAppend(p, cd);
  p = llvmAppend(p, dir);
  return llvmAppend(p, f.name);
}

export interface ReadelfRelocation {
  offset: bigint;
  type: string;
  symbolValue: bigint | undefined;
  symbolName: string;
  addend: bigint;
}

/** Parses `llvm-readelf -r FILE`: relocation section name → its header count and entries. */
export function parseReadelfRelocations(text: string): Map<string, { count: number; entries: ReadelfRelocation[] }> {
  const out = new Map<string, { count: number; entries: ReadelfRelocation[] }>();
  let cur: { count: number; entries: ReadelfRelocation[] } | undefined;
  for (const line of text.split('\n')) {
    const h = /^Relocation section '([^']+)' at offset 0x[0-9a-f]+ contains (\d+) entr/.exec(line);
    if (h) {
      cur = { count: Number(h[2]), entries: [] };
      out.set(h[1]!, cur);
      continue;
    }
    // 000000000000141c  0000000200000001 R_X86_64_64            0000000000000000 .text + 0
    const m = /^([0-9a-f]{16})\s+[0-9a-f]{16}\s+(\S+)\s+(?:([0-9a-f]{16})\s+(.*?)\s+([+-])\s+([0-9a-f]+)|([+-]?[0-9a-f]+))\s*$/.exec(line);
    if (m && cur) {
      if (m[3] !== undefined) {
        const add = BigInt(`0x${m[6]}`);
        cur.entries.push({
          offset: BigInt(`0x${m[1]}`),
          type: m[2]!,
          symbolValue: BigInt(`0x${m[3]}`),
          symbolName: m[4]!,
          addend: m[5] === '-' ? -add : add,
        });
      } else {
        const raw = m[7]!;
        const neg = raw.startsWith('-');
        const add = BigInt(`0x${raw.replace(/^[+-]/, '')}`);
        cur.entries.push({ offset: BigInt(`0x${m[1]}`), type: m[2]!, symbolValue: undefined, symbolName: '', addend: neg ? -add : add });
      }
    }
  }
  return out;
}

export interface ReadelfSymbol {
  num: number;
  value: bigint;
  size: number;
  type: string;
  bind: string;
  vis: string;
  ndx: string;
  name: string;
}

/** Parses `llvm-readelf -s FILE` (the .symtab table only). */
export function parseReadelfSymbols(text: string): ReadelfSymbol[] {
  const out: ReadelfSymbol[] = [];
  let inSymtab = false;
  for (const line of text.split('\n')) {
    const h = /^Symbol table '([^']+)'/.exec(line);
    if (h) {
      inSymtab = h[1] === '.symtab';
      continue;
    }
    if (!inSymtab) continue;
    const m = /^\s*(\d+): ([0-9a-f]{16})\s+(\d+|0x[0-9a-f]+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s?(.*)$/.exec(line);
    if (m) {
      out.push({
        num: Number(m[1]),
        value: BigInt(`0x${m[2]}`),
        size: Number(m[3]),
        type: m[4]!,
        bind: m[5]!,
        vis: m[6]!,
        ndx: m[7]!,
        name: m[8]!,
      });
    }
  }
  return out;
}

export interface ReadelfSection {
  index: number;
  name: string;
  type: string;
  address: bigint;
  offset: number;
  size: number;
  entsize: number;
  flags: string;
  link: number;
  info: number;
  align: number;
}

/** Parses `llvm-readelf -S -W FILE`. */
export function parseReadelfSections(text: string): ReadelfSection[] {
  const out: ReadelfSection[] = [];
  for (const line of text.split('\n')) {
    // [ 2] .text             PROGBITS        0000000000000000 000650 000f39 00  AX  0   0 16
    const m =
      /^\s*\[\s*(\d+)\]\s+(.*?)\s+(\S+)\s+([0-9a-f]{16}) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+)\s([A-Za-z ]{3})\s*(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(
        line,
      );
    if (m) {
      out.push({
        index: Number(m[1]),
        name: m[2]!.trim(),
        type: m[3]!,
        address: BigInt(`0x${m[4]}`),
        offset: Number.parseInt(m[5]!, 16),
        size: Number.parseInt(m[6]!, 16),
        entsize: Number.parseInt(m[7]!, 16),
        flags: m[8]!.trim(),
        link: Number(m[9]),
        info: Number(m[10]),
        align: Number(m[11]),
      });
    }
  }
  return out;
}

/** The fields compared row by row, as one readable string per row. */
export function rowKey(
  r: Pick<
    DumpRow,
    | 'address'
    | 'line'
    | 'column'
    | 'file'
    | 'isa'
    | 'discriminator'
    | 'opIndex'
    | 'isStmt'
    | 'basicBlock'
    | 'endSequence'
    | 'prologueEnd'
    | 'epilogueBegin'
  >,
  path: string | undefined,
): string {
  const flags = [
    r.isStmt && 'is_stmt',
    r.basicBlock && 'basic_block',
    r.endSequence && 'end_sequence',
    r.prologueEnd && 'prologue_end',
    r.epilogueBegin && 'epilogue_begin',
  ]
    .filter(Boolean)
    .join(' ');
  return `0x${r.address.toString(16).padStart(16, '0')} ${r.line}:${r.column} file ${r.file} ${path ?? '<none>'} isa ${r.isa} disc ${r.discriminator} op ${r.opIndex} ${flags}`;
}

/** Minimal shape of a decoded program for compareRows (avoids importing src/ here). */
export interface ProgramLike {
  sequences: ReadonlyArray<{ rows: ReadonlyArray<Parameters<typeof rowKey>[0] & { path: string | undefined }> }>;
}

/**
 * Compares decoded programs with dumped units row by row; returns how many rows
 * agree and up to `limit` readable mismatches per unit.
 */
export function compareRows(
  label: string,
  programs: readonly ProgramLike[],
  units: readonly DumpUnit[],
  compDir?: string,
  /** Per unit: paths of files added by DW_LNE_define_file (llvm-dwarfdump does not print them). */
  definedFiles: ReadonlyArray<Readonly<Record<number, string>>> = [],
  limit = 3,
): { equal: number; total: number; bad: string[] } {
  const bad: string[] = [];
  let equal = 0;
  let total = 0;
  if (programs.length !== units.length) bad.push(`${label}: ${programs.length} programs, llvm-dwarfdump shows ${units.length} units`);
  programs.forEach((p, i) => {
    const u = units[i];
    if (!u) return;
    const ours = p.sequences.flatMap((s) => s.rows);
    const theirs = u.rows;
    total += theirs.length;
    let shown = 0;
    for (let k = 0; k < Math.max(ours.length, theirs.length); k++) {
      const a = ours[k];
      const b = theirs[k];
      const ka = a ? rowKey(a, a.path) : '<missing>';
      const kb = b ? rowKey(b, dumpFilePath(u, b.file, compDir) ?? definedFiles[i]?.[b.file]) : '<missing>';
      if (ka === kb) equal++;
      else if (shown++ < limit) bad.push(`${label} unit ${i} row ${k}:\n  ours ${ka}\n  llvm ${kb}`);
    }
  });
  return { equal, total, bad };
}
