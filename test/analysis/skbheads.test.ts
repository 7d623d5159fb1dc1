// The analysis side of the run-time class `skb-head` (analysis/skbheads.ts): on a small clang-19
// module (test/fixtures/analysis/skbheads.c) whose `struct sk_buff` has `head`, `data` and another
// byte pointer, which writes may touch only an skb's head buffer, and so get the class instead of a
// typed fallback or "any"; and which functions return a place in the head for the summaries.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocatorTable, analyzeProgram, findAllocationSites, PointsTo, Program, SkbHeads, writesOf } from '../../src/analysis/index.js';
import { summarizeFile } from '../../src/summary/index.js';

const file = join(import.meta.dirname, '../fixtures/analysis/skbheads.ll');

describe('writes into skb head buffers', async () => {
  const program = await Program.load([file]);
  const { policy } = analyzeProgram(program);
  const accessesOf = (fn: string) => policy.accesses.filter((a) => a.function === fn);
  const classes = (fn: string) => accessesOf(fn).map((a) => a.legal.classes ?? []);

  it('gives a write through skb->head + offset or skb->data the class alone', () => {
    for (const fn of ['header_write', 'data_write']) {
      expect(accessesOf(fn).length).toBeGreaterThan(0);
      for (const a of accessesOf(fn)) {
        expect(a.legal).toMatchObject({ any: false, classes: ['skb-head'], stack: false, slabSites: [], buddySites: [] });
        expect(a.legal.reasons[0]?.detail).toMatch(/sk_buff head buffer/);
      }
    }
  });

  it('follows a helper returning a place in the head, through a helper that may return NULL', () => {
    expect(classes('put_write')).toEqual([['skb-head']]);
  });

  it("follows a static helper's parameter into its callers only when every caller passes a head pointer", () => {
    expect(classes('set_ttl')).toEqual([['skb-head']]);
    expect(classes('clear_word')).toEqual([[]]);
  });

  it("leaves other byte pointers of the skb and other records' pointers to their fallback", () => {
    for (const fn of ['other_write', 'shadow_write', 'field_write']) {
      expect(accessesOf(fn).length).toBeGreaterThan(0);
      for (const a of accessesOf(fn)) expect(a.legal.classes).toBeUndefined();
    }
    // the writes into the sk_buff itself are writes into a struct sk_buff, not its head
    for (const a of accessesOf('put')) expect(a.legal.classes).toBeUndefined();
  });

  it("follows an exported function's parameter only where every caller is known to be in the IR (closed world)", () => {
    expect(classes('fill')).toEqual([[]]);
    const found = findAllocationSites(program, allocatorTable());
    const pts = new PointsTo(program, found.sites, found.siteCalls);
    pts.solve();
    const fill = [...program.definedFunctions()].find((f) => f.value.name === 'fill')!;
    const write = [...writesOf(fill.value)][0]!;
    expect(new SkbHeads(program, pts).isHeadPointer(write.pointer, fill.module)).toBe(false);
    expect(new SkbHeads(program, pts, new Map(), (key) => key === 'fill').isHeadPointer(write.pointer, fill.module)).toBe(true);
  });

  it('says in the summary which functions return a place in the head, and on what', async () => {
    const s = await summarizeFile(file);
    const fn = (name: string) => s.functions.find((f) => f.name === name);
    expect(fn('put')?.skbHead).toEqual([]);
    expect(fn('reserve')?.skbHead).toEqual(['put']);
    expect(fn('other')?.skbHead).toBeUndefined();
  });
});
