// A field's program-wide content in summaries (issue 12 item 4): a TU that loads a `char *` field
// and hands the value on cannot say alone what it holds. Its summary names the field (`cell:`),
// and the analysis that reads the summaries resolves it to what the whole program stored there,
// instead of "unknown". Fixtures: test/fixtures/summary/cell-*.ll (command line in escape-lib.c).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeWithSummaries, summarizeFile, type TuSummary } from '../../src/summary/index.js';

const dir = join(import.meta.dirname, '../fixtures/summary');
const LIB = join(dir, 'cell-lib.ll');
const FILL = join(dir, 'cell-fill.ll');
const COMP = join(dir, 'cell-comp.ll');

describe('what a field holds, across TUs', () => {
  let lib: TuSummary;
  let fill: TuSummary;
  let comp: TuSummary;
  let site: string;
  beforeAll(async () => {
    [lib, fill, comp] = await Promise.all([summarizeFile(LIB), summarizeFile(FILL), summarizeFile(COMP)]);
    site = fill.sites.find((s) => s.caller === 'holder_fill')!.id;
  });

  it('a summary names the field a result was loaded from; the filling TU records its store there', () => {
    expect(fill.fieldStores).toContainEqual(['T:struct holder@0', [`site:${site}@0`]]);
    expect(lib.functions.find((f) => f.key === 'holder_buf')!.returns).toEqual(['cell:T:struct holder@0@0']);
  });

  it('the compartment resolves it to what the program stored there: the write is checked against that site', async () => {
    for (const closedWorld of [true, false]) {
      const { policy } = await analyzeWithSummaries([COMP], [lib, fill, comp], { closedWorld });
      const writes = policy.accesses.filter((a) => a.function === 'poke_buf');
      expect(writes).toHaveLength(1);
      expect(writes[0]!.legal).toMatchObject({ any: false, slabSites: [site] });
    }
  });

  it('a field nothing in the program writes keeps its fallback', async () => {
    const { policy } = await analyzeWithSummaries([COMP], [lib, comp], { closedWorld: true });
    expect(policy.accesses.find((a) => a.function === 'poke_buf')!.legal.any).toBe(true);
  });
});
