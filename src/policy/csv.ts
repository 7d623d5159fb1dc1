// Policies as CSV for spreadsheets and research scripts: one row per access.
// Readable columns (innermost source frame, legal-set lists joined by `;`)
// plus JSON columns for what a flat row cannot hold (the full location chain,
// widening reasons, binary sites), so a CSV reads back into the same accesses.
import { parseString, writeToString } from 'fast-csv';
import { readFile } from 'node:fs/promises';
import { PolicyError } from './errors.js';
import { issuesOf, writeFileAtomic } from './json.js';
import { type Access, AccessSchema, type Policy } from './schema.js';

/** The columns, in order. */
export const ACCESS_CSV_COLUMNS = [
  'id',
  'module',
  'function',
  'op',
  'callee',
  'width',
  'writer',
  'file',
  'line',
  'column',
  'inlined_into',
  'any',
  'stack',
  'globals',
  'slab_caches',
  'slab_sites',
  'buddy_sites',
  'vmalloc_callers',
  'percpu',
  'vmemmap',
  'foreign',
  'foreign_types',
  'reasons',
  'binary_sites',
  'location_json',
  'reasons_json',
  'binary_json',
  // additive, version 1: appended so the columns above keep their places
  'frame_slot',
  'percpu_globals',
  'percpu_areas',
  'classes',
] as const;
type Row = Record<(typeof ACCESS_CSV_COLUMNS)[number], string>;

/** Columns added after version 1's first CSVs: a reader takes CSVs without them. */
const OPTIONAL_COLUMNS: ReadonlySet<string> = new Set(['frame_slot', 'percpu_globals', 'percpu_areas', 'classes']);

const list = (xs: readonly string[]): string => xs.join(';');
const unlist = (s: string): string[] => (s === '' ? [] : s.split(';'));
const bool = (b: boolean): string => (b ? '1' : '0');

function toRow(a: Access): Row {
  const inner = a.location[0];
  return {
    id: a.id,
    module: a.module,
    function: a.function,
    op: a.op,
    callee: a.callee ?? '',
    width: a.width === undefined ? '' : String(a.width),
    writer: a.writer === undefined ? '' : JSON.stringify(a.writer),
    file: inner?.file ?? '',
    line: inner ? String(inner.line) : '',
    column: inner ? String(inner.column) : '',
    inlined_into: a.location
      .slice(1)
      .map((f) => `${f.function}@${f.file}:${f.line}:${f.column}`)
      .join(' <- '),
    any: bool(a.legal.any),
    stack: bool(a.legal.stack),
    globals: list(a.legal.globals),
    slab_caches: list(a.legal.slabCaches),
    slab_sites: list(a.legal.slabSites),
    buddy_sites: list(a.legal.buddySites),
    vmalloc_callers: list(a.legal.vmallocCallers),
    percpu: bool(a.legal.percpu),
    vmemmap: bool(a.legal.vmemmap),
    foreign: a.legal.foreign === undefined ? '' : bool(a.legal.foreign),
    foreign_types: a.legal.foreignTypes === undefined ? '' : JSON.stringify(a.legal.foreignTypes),
    reasons: list(a.legal.reasons.map((r) => r.kind)),
    binary_sites: list((a.binary ?? []).map((b) => `${b.symbol}+0x${b.offset.toString(16)}`)),
    location_json: JSON.stringify(a.location),
    reasons_json: JSON.stringify(a.legal.reasons),
    binary_json: a.binary === undefined ? '' : JSON.stringify(a.binary),
    frame_slot: a.frameSlot === true ? '1' : '',
    percpu_globals: a.legal.percpuGlobals === undefined ? '' : JSON.stringify(a.legal.percpuGlobals),
    percpu_areas: a.legal.percpuAreas === undefined ? '' : bool(a.legal.percpuAreas),
    classes: a.legal.classes === undefined ? '' : list(a.legal.classes),
  };
}

/** The accesses of a policy as CSV text (header row first). */
export async function accessesToCsv(policy: Pick<Policy, 'accesses'>): Promise<string> {
  return `${await writeToString(policy.accesses.map(toRow), { headers: [...ACCESS_CSV_COLUMNS] })}\n`;
}

/** Writes the accesses of a policy as CSV, atomically. */
export async function writeAccessesCsv(path: string, policy: Pick<Policy, 'accesses'>): Promise<void> {
  await writeFileAtomic(path, await accessesToCsv(policy));
}

function fromRow(r: Row, file: string, rowNo: number): Access {
  const fail = (column: string, message: string): never => {
    throw new PolicyError(file, [{ path: `row ${rowNo}.${column}`, message }]);
  };
  const json = (column: keyof Row): unknown => {
    try {
      return JSON.parse(r[column]);
    } catch {
      return fail(column, 'expected JSON');
    }
  };
  const flag = (column: keyof Row): boolean => (r[column] === '1' ? true : r[column] === '0' ? false : fail(column, "expected '0' or '1'"));
  const access = {
    id: r.id,
    module: r.module,
    function: r.function,
    op: r.op,
    ...(r.callee ? { callee: r.callee } : {}),
    ...(r.width ? { width: Number(r.width) } : {}),
    ...(r.writer ? { writer: json('writer') } : {}),
    location: json('location_json'),
    legal: {
      any: flag('any'),
      stack: flag('stack'),
      globals: unlist(r.globals),
      slabCaches: unlist(r.slab_caches),
      slabSites: unlist(r.slab_sites),
      buddySites: unlist(r.buddy_sites),
      vmallocCallers: unlist(r.vmalloc_callers),
      percpu: flag('percpu'),
      ...(r.percpu_globals ? { percpuGlobals: json('percpu_globals') } : {}),
      ...(r.percpu_areas ? { percpuAreas: flag('percpu_areas') } : {}),
      vmemmap: flag('vmemmap'),
      ...(r.foreign === '' || r.foreign === undefined ? {} : { foreign: flag('foreign') }),
      ...(r.foreign_types ? { foreignTypes: json('foreign_types') } : {}),
      ...(r.classes ? { classes: unlist(r.classes) } : {}),
      reasons: json('reasons_json'),
    },
    ...(r.frame_slot ? { frameSlot: flag('frame_slot') } : {}),
    ...(r.binary_json ? { binary: json('binary_json') } : {}),
  };
  const parsed = AccessSchema.safeParse(access);
  if (!parsed.success) {
    throw new PolicyError(
      file,
      issuesOf(parsed.error).map((i) => ({ ...i, path: `row ${rowNo}.${i.path}` })),
    );
  }
  return parsed.data;
}

/** Parses CSV text written by {@link accessesToCsv}. @throws {@link PolicyError} naming row and column. */
export function accessesFromCsv(text: string, file = '<memory>'): Promise<Access[]> {
  return new Promise((resolve, reject) => {
    const out: Access[] = [];
    let rowNo = 1;
    let failed = false;
    parseString<Row, Row>(text, { headers: true, strictColumnHandling: true })
      .on('error', (e) => {
        failed = true;
        reject(new PolicyError(file, [{ path: `row ${rowNo}`, message: e.message }]));
      })
      .on('headers', (h: string[]) => {
        // the additive columns may be absent (a CSV written before they existed)
        const missing = ACCESS_CSV_COLUMNS.filter((c) => !h.includes(c) && !OPTIONAL_COLUMNS.has(c));
        if (missing.length) {
          failed = true;
          reject(new PolicyError(file, [{ path: 'header', message: `missing columns: ${missing.join(', ')}` }]));
        }
      })
      .on('data-invalid', () => {
        failed = true;
        reject(new PolicyError(file, [{ path: `row ${rowNo + 1}`, message: 'wrong number of columns' }]));
      })
      .on('data', (r: Row) => {
        rowNo++;
        if (failed) return;
        try {
          out.push(fromRow(r, file, rowNo));
        } catch (e) {
          failed = true;
          reject(e);
        }
      })
      .on('end', () => {
        if (!failed) resolve(out);
      });
  });
}

/** Reads accesses from a CSV file. @throws {@link PolicyError} */
export async function readAccessesCsv(path: string): Promise<Access[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new PolicyError(path, [{ path: '', message: `cannot read: ${(e as Error).message}` }]);
  }
  return accessesFromCsv(text, path);
}

/** The columns of the indirect-call CSV, in order: one row per indirect call. */
export const INDIRECT_CALL_CSV_COLUMNS = [
  'id',
  'module',
  'function',
  'file',
  'line',
  'column',
  'inlined_into',
  'signature',
  'prototype',
  'fields',
  'targets',
  'target_count',
  'reasons',
  'location_json',
  'targets_json',
  'reasons_json',
] as const;

/** The indirect calls of a policy as CSV text (header row first; targets as `symbol@module` joined by `;`). */
export async function indirectCallsToCsv(policy: Pick<Policy, 'indirectCalls'>): Promise<string> {
  const rows = (policy.indirectCalls ?? []).map((c) => {
    const inner = c.location[0];
    return {
      id: c.id,
      module: c.module,
      function: c.function,
      file: inner?.file ?? '',
      line: inner ? String(inner.line) : '',
      column: inner ? String(inner.column) : '',
      inlined_into: c.location
        .slice(1)
        .map((f) => `${f.function}@${f.file}:${f.line}:${f.column}`)
        .join(' <- '),
      signature: c.signature,
      prototype: c.prototype ?? '',
      fields: list((c.fields ?? []).map((f) => `${f.type}+${f.offset}${f.member ? `(${f.member})` : ''}`)),
      targets: list(c.targets.map((t) => `${t.symbol}@${t.module}`)),
      target_count: String(c.targets.length),
      reasons: list(c.reasons.map((r) => r.kind)),
      location_json: JSON.stringify(c.location),
      targets_json: JSON.stringify(c.targets),
      reasons_json: JSON.stringify(c.reasons),
    };
  });
  return `${await writeToString(rows, { headers: [...INDIRECT_CALL_CSV_COLUMNS] })}\n`;
}

/** Writes the indirect calls of a policy as CSV, atomically. */
export async function writeIndirectCallsCsv(path: string, policy: Pick<Policy, 'indirectCalls'>): Promise<void> {
  await writeFileAtomic(path, await indirectCallsToCsv(policy));
}
