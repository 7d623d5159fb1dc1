// Owns generating src/emit/constants.ts, the TypeScript view of the C
// constants of runtime/include/kcompart.h (npm run gen:constants): every
// `#define KC_<NAME> <integer expression>` (numbers with C suffixes, other
// KC_ names, parentheses, << * + -) evaluated exactly (BigInt), and the
// members of `enum kc_counter`. test/emit/constants.test.ts regenerates the
// text and fails when the committed file differs, so the header stays the one
// place a constant is defined.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './lib/paths.js';

export const HEADER = 'runtime/include/kcompart.h';
export const OUTPUT = 'src/emit/constants.ts';

type Tok = { kind: 'num'; value: bigint } | { kind: 'id'; name: string } | { kind: 'op'; op: string };

function tokenize(expr: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|([A-Za-z_]\w*)|(<<|>>|[()*+\-|]))/y;
  let i = 0;
  while (i < expr.length) {
    if (/^\s*$/.test(expr.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(expr);
    if (!m) throw new Error(`cannot read "${expr}" at ${i}`);
    if (m[1] !== undefined) out.push({ kind: 'num', value: BigInt(m[1]) });
    else if (m[2] !== undefined) out.push({ kind: 'id', name: m[2] });
    else out.push({ kind: 'op', op: m[3]! });
    i = re.lastIndex;
  }
  return out;
}

/** Evaluates a C integer expression of numbers, known names, ( ), <<, >>, *, +, -, |. */
export function evaluate(expr: string, known: ReadonlyMap<string, bigint>): bigint {
  const toks = tokenize(expr);
  let p = 0;
  const prec: Record<string, number> = { '|': 1, '<<': 2, '>>': 2, '+': 3, '-': 3, '*': 4 };
  const primary = (): bigint => {
    const t = toks[p++];
    if (!t) throw new Error(`unexpected end of "${expr}"`);
    if (t.kind === 'num') return t.value;
    if (t.kind === 'id') {
      const v = known.get(t.name);
      if (v === undefined) throw new Error(`unknown name ${t.name} in "${expr}"`);
      return v;
    }
    if (t.op === '(') {
      const v = binary(0);
      const close = toks[p++];
      if (close?.kind !== 'op' || close.op !== ')') throw new Error(`missing ) in "${expr}"`);
      return v;
    }
    if (t.op === '-') return -primary();
    throw new Error(`unexpected ${t.op} in "${expr}"`);
  };
  const binary = (min: number): bigint => {
    let left = primary();
    for (;;) {
      const t = toks[p];
      if (t?.kind !== 'op' || prec[t.op] === undefined || prec[t.op]! <= min) return left;
      p++;
      const right = binary(prec[t.op]!);
      if (t.op === '<<') left <<= right;
      else if (t.op === '>>') left >>= right;
      else if (t.op === '*') left *= right;
      else if (t.op === '+') left += right;
      else if (t.op === '-') left -= right;
      else left |= right;
    }
  };
  const v = binary(0);
  if (p !== toks.length) throw new Error(`trailing tokens in "${expr}"`);
  return v;
}

export interface HeaderConstants {
  defines: { name: string; expr: string; value: bigint }[];
  counters: { name: string; value: number }[];
}

/** The KC_ integer macros and the kc_counter enum of kcompart.h's text. */
export function readHeaderConstants(text: string): HeaderConstants {
  const known = new Map<string, bigint>();
  const defines: HeaderConstants['defines'] = [];
  for (const line of text.split('\n')) {
    const m = /^#define\s+(KC_\w+)\s+(.+?)\s*(?:\/\*.*)?$/.exec(line);
    if (!m || m[1]!.endsWith('_H')) continue;
    const value = evaluate(m[2]!, known);
    known.set(m[1]!, value);
    defines.push({ name: m[1]!, expr: m[2]!, value });
  }
  const e = /enum kc_counter \{([\s\S]*?)\};/.exec(text);
  if (!e) throw new Error('enum kc_counter not found');
  const counters: HeaderConstants['counters'] = [];
  let next = 0;
  for (const raw of e[1]!.replace(/\/\*[\s\S]*?\*\//g, '').split(',')) {
    const m = /^\s*(KC_CNT_\w+)\s*(?:=\s*(\d+))?\s*$/.exec(raw);
    if (!m) {
      if (raw.trim() !== '') throw new Error(`cannot read enum member "${raw.trim()}"`);
      continue;
    }
    const value = m[2] !== undefined ? Number(m[2]) : next;
    counters.push({ name: m[1]!, value });
    next = value + 1;
  }
  return { defines, counters };
}

function literal(v: bigint): string {
  if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return v.toString();
  return `${v < 0n ? '-' : ''}0x${(v < 0n ? -v : v).toString(16)}n`;
}

/** The text of src/emit/constants.ts for a kcompart.h text. */
export function constantsModule(headerText: string): string {
  const { defines, counters } = readHeaderConstants(headerText);
  const lines = [
    '// Owns the TypeScript view of the C constants of runtime/include/kcompart.h',
    '// (region bits, site flags, sizes, knob defaults, counter slots). Generated',
    '// from the header by scripts/gen-constants.ts (npm run gen:constants); do not',
    '// edit: test/emit/constants.test.ts fails when it is out of date. Values past',
    '// Number.MAX_SAFE_INTEGER are bigints.',
    '',
    '/** Every `#define KC_<NAME>` integer of kcompart.h, by NAME. */',
    'export const KC = {',
    ...defines.map(
      (d) => `${/^\d+$/.test(d.expr) ? '' : `  /** ${d.expr.replace(/\*\//g, '* /')} */\n`}  ${d.name.slice(3)}: ${literal(d.value)},`,
    ),
    '} as const;',
    '',
    '/** The slots of the per-cpu counter array (enum kc_counter), by name without KC_CNT_. */',
    'export const KC_COUNTER = {',
    ...counters.map((c) => `  ${c.name.slice(7)}: ${c.value},`),
    '} as const;',
    '',
  ];
  return lines.join('\n');
}

function main(): void {
  const root = repoRoot();
  const text = constantsModule(readFileSync(join(root, HEADER), 'utf8'));
  writeFileSync(join(root, OUTPUT), text);
  console.log(`wrote ${OUTPUT} from ${HEADER}`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();
