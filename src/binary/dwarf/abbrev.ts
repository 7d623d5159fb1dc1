// Owns the `.debug_abbrev` section (DWARF 5 §7.5.3): abbreviation tables, each
// a set of declarations (code, tag, has-children, attribute specifications
// with DW_FORM_implicit_const values), read once per table offset and shared
// by every unit that names it.

import { ByteReader } from '../bytes.js';
import { DwarfError } from '../errors.js';
import type { DebugAbbrevOffset } from '../offsets.js';
import * as C from './constants.js';
import type { DwarfSections } from './sections.js';

/** One attribute specification of an abbreviation declaration. */
export interface AttributeSpec {
  /** DW_AT_* code. */
  readonly name: number;
  /** DW_FORM_* code. */
  readonly form: number;
  /** For DW_FORM_implicit_const: the value stored in the declaration ("a third part … a signed LEB128 number", §7.5.3). */
  readonly implicitConst: bigint | undefined;
}

/** One abbreviation declaration. */
export interface Abbreviation {
  readonly code: number;
  readonly tag: number;
  readonly hasChildren: boolean;
  readonly attributes: readonly AttributeSpec[];
}

/** The declarations of one abbreviation table, by code. */
export class AbbreviationTable {
  readonly offset: DebugAbbrevOffset;
  /** Dense lookup for small codes (LLVM numbers them from 1), a map beyond. */
  private readonly dense: (Abbreviation | undefined)[] = [];
  private readonly sparse = new Map<number, Abbreviation>();

  constructor(offset: DebugAbbrevOffset) {
    this.offset = offset;
  }

  get(code: number): Abbreviation | undefined {
    return code < 4096 ? this.dense[code] : this.sparse.get(code);
  }

  /** @internal */
  add(a: Abbreviation): boolean {
    if (this.get(a.code) !== undefined) return false;
    if (a.code < 4096) this.dense[a.code] = a;
    else this.sparse.set(a.code, a);
    return true;
  }
}

/**
 * Reads the abbreviation table at `offset` of `.debug_abbrev`: declarations up to
 * the terminating code 0 ("The abbreviations for a given compilation unit end with
 * an entry consisting of a 0 byte for the abbreviation code", §7.5.3).
 *
 * @throws DwarfError on a missing section, an offset outside it, a duplicate
 *   code, a declaration or attribute list running past the end
 */
export function parseAbbreviationTable(sections: DwarfSections, offset: DebugAbbrevOffset): AbbreviationTable {
  const sec = sections.section('.debug_abbrev');
  const bytes = sec?.bytes ?? new Uint8Array(0);
  const r = new ByteReader(bytes, sections.file, '.debug_abbrev', DwarfError);
  if (!(offset >= 0 && offset < bytes.length))
    r.fail(`an abbreviation table offset inside .debug_abbrev (size 0x${bytes.length.toString(16)})`, `0x${offset.toString(16)}`, 0);
  r.pos = offset;
  const table = new AbbreviationTable(offset);
  for (;;) {
    const at = r.pos;
    const code = r.uleb('an abbreviation code');
    if (code === 0) break;
    const tag = r.uleb(() => `the tag of abbreviation ${code}`);
    const childrenAt = r.pos;
    const children = r.u8(() => `DW_CHILDREN_yes or DW_CHILDREN_no of abbreviation ${code}`);
    if (children !== C.DW_CHILDREN_no && children !== C.DW_CHILDREN_yes)
      r.fail(() => `DW_CHILDREN_yes (1) or DW_CHILDREN_no (0) in abbreviation ${code}`, `${children}`, childrenAt);
    const attributes: AttributeSpec[] = [];
    for (;;) {
      const name = r.uleb(() => `an attribute name of abbreviation ${code}`);
      const form = r.uleb(() => `an attribute form of abbreviation ${code}`);
      if (name === 0 && form === 0) break;
      const implicitConst =
        form === C.DW_FORM_implicit_const ? r.slebBig(() => `the DW_FORM_implicit_const value of abbreviation ${code}`) : undefined;
      attributes.push({ name, form, implicitConst });
    }
    if (!table.add({ code, tag, hasChildren: children === C.DW_CHILDREN_yes, attributes }))
      r.fail('abbreviation codes unique within a table', `code ${code} declared twice`, at);
  }
  return table;
}
