// Owns the views of a byte (issue 12 item 4): the other type-field cell keys
// the same memory has, over the records of a program's debug info or of TU
// summaries. Field cells are keyed by record and
// offset (`T:struct inet_protosw@0`), and those bytes are also a cell of every
// record around them (the objects that embed an `inet_protosw`) and of every
// record inside them at that byte (`T:struct list_head@0` for its `list`, a
// union's other members). A pointer stored under one key is read by a load
// under any other: points-to joins a cell with the others (its own, and what
// the context's summaries store there), and the escape closure counts those
// loads.
import type { Metadata } from '../ir/metadata.js';
import { isRecord } from './ditypes.js';
import { recordFacts } from './legal.js';
import type { ProgramModule } from './program.js';

/** What the views need of one record: its name, size in bytes (0: unknown) and the records it embeds at their offsets (-1: in an array, anywhere). */
export interface ViewRecord {
  readonly name: string;
  readonly size: number;
  readonly at: readonly (readonly [string, number])[];
}

/** Views of one byte past this many: counted as "some TU loads it" by the closure, the field's type by the context. */
export const MAX_VIEWS = 4096;

/** A byte offset into a record, `*` when unknown. */
export type ViewOffset = number | '*';

/**
 * The containment relations of the records given, with offsets both ways (-1:
 * in an array, anywhere), and the private areas (a `struct tg3` at 2304 of a `struct net_device`:
 * one more record inside another, past its end).
 */
export class RecordViews {
  private readonly inside = new Map<string, Map<string, [string, number]>>();
  private readonly around = new Map<string, Map<string, [string, number]>>();
  private readonly sizes = new Map<string, number>();
  private readonly memo = new Map<string, Map<string, [string, ViewOffset]> | undefined>();

  /** `privateAreas`: record, offset, the record lying there past its end. */
  constructor(records: Iterable<ViewRecord>, privateAreas: Iterable<readonly [string, number, string]> = []) {
    const relation = (m: Map<string, Map<string, [string, number]>>, k: string, v: [string, number]): void => {
      let list = m.get(k);
      if (!list) m.set(k, (list = new Map()));
      list.set(`${v[0]}@${v[1]}`, v);
    };
    for (const { name, size, at } of records) {
      if (size) this.sizes.set(name, size);
      for (const [inner, offset] of at) {
        relation(this.inside, name, [inner, offset]);
        relation(this.around, inner, [name, offset]);
      }
    }
    for (const [r, offset, p] of privateAreas) {
      relation(this.inside, r, [p, offset]);
      relation(this.around, p, [r, offset]);
    }
  }

  /** The views of the records a program's debug info describes; no private areas: the summaries find those. */
  static ofModules(modules: readonly ProgramModule[]): RecordViews {
    const records: ViewRecord[] = [];
    const seen = new Set<Metadata>();
    for (const pm of modules)
      for (const md of pm.module.metadata) {
        if (md?.kind !== 'DICompositeType' || seen.has(md) || !isRecord(md)) continue;
        seen.add(md);
        const r = recordFacts(md);
        records.push({ name: r.name, size: r.size ?? 0, at: r.embedsAt ?? [] });
      }
    return new RecordViews(records);
  }

  /**
   * Every (record, offset) the byte at `off` of a `name` also is, itself included; undefined past
   * {@link MAX_VIEWS}. The records around it (`T:struct bar@8` is `T:struct box@24` when a `box`
   * holds that `bar` at 16), then the records inside any of those at that byte; not the other
   * records holding an inner one, whose bytes are other objects.
   */
  of(name: string, off: ViewOffset): ReadonlyMap<string, [string, ViewOffset]> | undefined {
    const key = `${name}@${off}`;
    if (this.memo.has(key)) return this.memo.get(key);
    const views = new Map<string, [string, ViewOffset]>([[key, [name, off]]]);
    const push = (list: [string, ViewOffset][], x: string, o: ViewOffset): void => {
      const k = `${x}@${o}`;
      if (views.has(k)) return;
      views.set(k, [x, o]);
      list.push([x, o]);
    };
    const up: [string, ViewOffset][] = [[name, off]];
    for (let i = 0; i < up.length && views.size <= MAX_VIEWS; i++) {
      const [x, o] = up[i]!;
      for (const [outer, at] of this.around.get(x)?.values() ?? []) push(up, outer, o === '*' || at < 0 ? '*' : o + at);
    }
    const down: [string, ViewOffset][] = [...views.values()];
    for (let i = 0; i < down.length && views.size <= MAX_VIEWS; i++) {
      const [x, o] = down[i]!;
      for (const [inner, at] of this.inside.get(x)?.values() ?? []) {
        if (o === '*' || at < 0) push(down, inner, '*');
        else if (o >= at && o < at + (this.sizes.get(inner) ?? Number.POSITIVE_INFINITY)) push(down, inner, o - at);
      }
    }
    const out = views.size > MAX_VIEWS ? undefined : views;
    this.memo.set(key, out);
    return out;
  }

  /**
   * The other cell keys of the bytes a type-field cell key names (`T:struct inet_protosw@0` →
   * `T:struct list_head@0`, and each view record's unknown-offset key `T:struct list_head@*`), the
   * key itself left out; undefined past {@link MAX_VIEWS}; none for a key of another kind. Bound to
   * this instance: points-to and the summarized context take it as their views function.
   */
  readonly otherKeys = (cell: string): string[] | undefined => {
    const at = cell.lastIndexOf('@');
    const base = cell.slice(0, at);
    if (!base.startsWith('T:')) return [];
    const off = cell.slice(at + 1);
    const views = this.of(base.slice(2), off === '*' ? '*' : Number(off));
    if (!views) return undefined;
    const out = new Set<string>();
    for (const [x, o] of views.values()) {
      out.add(`T:${x}@${o}`);
      out.add(`T:${x}@*`);
    }
    out.delete(cell);
    return [...out];
  };
}
