// One byte under several cell keys (issue 12): a pointer one TU stores under one key of some
// bytes (`T:struct list_head@0`, through a list head whose container it lost) is read by a load
// under another key of the same bytes (`T:struct holder@0`, a holder's first field), so the
// write through what that load gives admits it. A cell no code writes under its own key keeps its
// field's fallback beside what the other keys hold. Fixtures: hand-written C made into
// test/fixtures/summary/views-*.ll (command line in views-lib.c).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusModules } from '../../scripts/lib/paths.js';
import { analyze } from '../../src/analysis/index.js';
import type { Policy } from '../../src/policy/schema.js';
import { analyzeWithSummaries, summarizeFile, type TuSummary, viewsOfSummaries } from '../../src/summary/index.js';

const dir = join(import.meta.dirname, '../fixtures/summary');
const LIB = join(dir, 'views-lib.ll');
const COMP = join(dir, 'views-comp.ll');

function siteIn(s: TuSummary, fn: string): string {
  const ids = s.sites.filter((x) => x.caller === fn).map((x) => x.id);
  expect(ids, `sites in ${fn}`).toHaveLength(1);
  return ids[0]!;
}

function writeIn(policy: Policy, fn: string) {
  const writes = policy.accesses.filter((a) => a.function === fn);
  expect(writes, fn).toHaveLength(1);
  return writes[0]!.legal;
}

describe('the keys of one byte', () => {
  let lib: TuSummary;
  let comp: TuSummary;
  beforeAll(async () => {
    [lib, comp] = await Promise.all([summarizeFile(LIB), summarizeFile(COMP)]);
  });

  it('views: the records around a byte and those inside them there, not the other holders of an inner one', () => {
    const views = viewsOfSummaries([lib, comp]);
    const keys = views.otherKeys('T:struct holder@0');
    expect(keys).toContain('T:struct list_head@0');
    expect(keys).toContain('T:struct holder@*');
    expect(keys).not.toContain('T:struct holder@0');
    // an item's link is another object's bytes than a holder's head
    expect(keys).not.toContain('T:struct item@0');
    // the bare list head's bytes may be the first field of any record starting with one
    expect(views.otherKeys('T:struct list_head@0')).toEqual(
      expect.arrayContaining(['T:struct holder@0', 'T:struct item@0', 'T:struct lone@0']),
    );
    expect(views.otherKeys('G:current_head@0')).toEqual([]);
  });

  it('the context stores under the bare list head: the summary says so', () => {
    // `current_head`'s fallback is any list head at any offset: the store's key has no offset
    expect(lib.fieldStores.find(([cell]) => cell === 'T:struct list_head@*')?.[1]).toContain(`site:${siteIn(lib, 'lib_link')}@0`);
  });

  for (const closedWorld of [false, true])
    it(`a load under a holder's key reads what was stored under its list head's (${closedWorld ? 'closed' : 'open'} world)`, async () => {
      const { policy } = await analyzeWithSummaries([COMP], [lib, comp], { closedWorld });
      const legal = writeIn(policy, 'poke');
      // its own key's store, and the context's item linked through the bare head
      expect(legal.slabSites).toContain(siteIn(comp, 'poke_set'));
      expect(legal.slabSites).toContain(siteIn(lib, 'lib_link'));
      expect(legal.foreign).toBeFalsy();
      expect(legal.any).toBe(false);
    });

  for (const closedWorld of [false, true])
    it(`the compartment's own stores under another key of the bytes too (${closedWorld ? 'closed' : 'open'} world)`, async () => {
      const { policy } = await analyzeWithSummaries([COMP], [lib, comp], { closedWorld });
      const legal = writeIn(policy, 'poke_box');
      expect(legal.slabSites).toContain(siteIn(comp, 'poke_box_set'));
      expect(legal.slabSites).toContain(siteIn(comp, 'comp_link'));
      expect(legal.foreign).toBeFalsy();
    });

  it('a cell no code writes under its own key keeps its fallback beside the other keys', async () => {
    const { policy } = await analyzeWithSummaries([COMP], [lib, comp], {});
    const legal = writeIn(policy, 'poke_lone');
    expect(legal.any).toBe(false);
    expect(legal.foreign).toBeTruthy();
    expect(legal.reasons.map((r) => r.detail)).toContain('any object of type struct list_head');
    expect(legal.slabSites).toContain(siteIn(lib, 'lib_link'));
    // and every global array of list heads, the compartment's and the context's
    expect(legal.globals).toEqual(expect.arrayContaining(['comp_heads', 'lib_heads']));
  });

  it("read in full in one solve, a load reads the program's stores under the other keys too", async () => {
    const { policy } = await analyze([COMP], [LIB], {});
    const legal = writeIn(policy, 'poke_box');
    expect(legal.slabSites).toEqual(expect.arrayContaining([siteIn(comp, 'poke_box_set'), siteIn(comp, 'comp_link')]));
    expect(legal.foreign).toBeFalsy();
  });

  it('without the compartment summary, its records still give the views', async () => {
    const { policy } = await analyzeWithSummaries([COMP], [lib], {});
    expect(writeIn(policy, 'poke').slabSites).toContain(siteIn(lib, 'lib_link'));
  });
});

describe('the keys of one byte on the corpus (net/ipv6/af_inet6.c with net/core/dev.c)', () => {
  it('a list write typed "any list_head" admits the tables of list heads of both TUs', async () => {
    const [inet6] = corpusModules('linux-6.1/net/ipv6').filter((f) => f.endsWith('/af_inet6.ll'));
    const [dev] = corpusModules('linux-6.1/net/core').filter((f) => f.endsWith('/dev.ll'));
    const { policy } = await analyze([inet6!], [dev!], { sourcePrefixes: ['net/ipv6/'] });
    // `list_add_rcu` into `inetsw6[]` in inet6_register_protosw: the loaded `next` now also holds
    // what was stored under the other keys of its bytes, "unknown" among it, so it is typed by its
    // record; before, no typed fallback of `struct list_head` admitted an array of them
    const typed = policy.accesses.filter((a) => a.legal.reasons.some((r) => r.detail === 'any object of type struct list_head'));
    expect(typed.length).toBeGreaterThan(0);
    for (const a of typed) expect(a.legal.globals, a.id).toEqual(expect.arrayContaining(['ptype_base', 'net/ipv6/af_inet6.c::inetsw6']));
  });
});
