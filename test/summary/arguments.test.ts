// What the context passes to the compartment's functions (issue 12): a caller TU read only as a
// summary passes a stack slot and globals to an exported callee TU's functions, directly and
// through an ops table the callee TU fills. The summary records those arguments; the analysis binds
// them to the callee's formals; under the closed world (every caller known) the outside-caller
// fallback ("unknown" for `char *`, "any struct msg") is dropped, and a caller's own parameter passed
// on (`relay(p)` → `poke(p)`) is what that caller's callers pass, and a pointer a caller's own TU loses
// (a fixed address) keeps the callee unbounded, as `context-lost`. Fixtures: hand-written C made into
// test/fixtures/summary/args-*.ll (command line in args-callee.c).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LegalSet, Policy } from '../../src/policy/schema.js';
import { analyzeWithSummaries, externalFacts, summarizeFile, type TuSummary, TuSummarySchema } from '../../src/summary/index.js';

const dir = join(import.meta.dirname, '../fixtures/summary');
const CALLEE = join(dir, 'args-callee.ll');
const CALLER = join(dir, 'args-caller.ll');

/** The legal set of the one write in `fn`. */
function legalOf(policy: Policy, fn: string): LegalSet {
  const writes = policy.accesses.filter((a) => a.function === fn);
  expect(writes.length, `writes in ${fn}`).toBe(1);
  return writes[0]!.legal;
}

describe('caller arguments across TUs', () => {
  let caller: TuSummary;
  let callee: TuSummary;
  beforeAll(async () => {
    [caller, callee] = await Promise.all([summarizeFile(CALLER), summarizeFile(CALLEE)]);
  });

  it('the caller summary records what each pointer argument points to, per callee and index, and for its indirect call', () => {
    expect(caller.arguments).toEqual([
      ['consume', 0, ['stack:from_relay@0', 'stack:from_stack@0', 'stack:from_stack@4']],
      ['fill', 0, ['global:gbuf@0', 'stack:from_stack@0']],
      // relay's own `char *` parameter, "unknown" to this TU alone
      ['poke', 0, ['passed:relay:0@0']],
      ['put_msg', 0, ['global:the_msg@0', 'stack:from_stack@0']],
      // a call of an exported function of this TU: what the whole program resolves `passed:relay:0` with
      ['relay', 0, ['stack:from_relay@0']],
      // `(char *)-12` points nowhere; the vsyscall page's address is memory this TU does not reach: lost
      ['stash', 0, ['global:gbuf@0', 'unknown@*']],
    ]);
    const ic = caller.indirectCalls.find((c) => c.caller === 'through_ops');
    expect(ic?.fields).toEqual(['struct ops+8']);
    expect(ic?.arguments).toEqual([[0, ['global:gbuf2@0']]]);
  });

  it('a returned fixed address is lost, an error pointer points nowhere', () => {
    const returns = (name: string) => caller.functions.find((f) => f.name === name)?.returns;
    expect(returns('fixed_page')).toEqual(['unknown@*']);
    expect(returns('error_page')).toEqual([]);
  });

  it('round-trips through JSON and the schema', () => {
    expect(TuSummarySchema.parse(JSON.parse(JSON.stringify(caller)))).toEqual(caller);
    expect(TuSummarySchema.parse(JSON.parse(JSON.stringify(callee)))).toEqual(callee);
    expect(() => TuSummarySchema.parse({ ...caller, arguments: [['fill', '0', []]] })).toThrow();
  });

  it('facts: arguments by compartment function key and index; closed only with closedWorld and a known caller', () => {
    const own = new Set([callee.module]);
    const open = externalFacts([caller, callee], own);
    expect(open.arguments?.get('fill')?.get(0)?.sort()).toEqual(['global:gbuf@0', 'stack:from_stack@0']);
    expect(open.arguments?.get('args-callee.c::cb')?.get(0)).toEqual(['global:gbuf2@0']);
    expect(open.closed).toBeUndefined();
    const closed = externalFacts([caller, callee], own, { closedWorld: true });
    expect([...(closed.closed ?? [])].sort()).toEqual(['args-callee.c::cb', 'fill', 'poke', 'put_msg', 'stash']);
    // relay's parameter passed on: unknown in the open world (beside the pass-through it stands for,
    // which points-to reads as lost: what relay gets escapes), what relay's one caller passes in the closed one
    expect(open.arguments?.get('poke')?.get(0)?.[0]).toBe('unknown@*');
    expect(open.arguments?.get('poke')?.get(0)).toContain('passed:relay:0@*');
    expect(closed.arguments?.get('poke')?.get(0)).toEqual(['stack:from_relay@0']);
    // without the compartment's summaries nothing says which functions are the compartment's
    expect(externalFacts([caller], own, { closedWorld: true }).arguments?.size).toBe(0);
  });

  it('open world: the outside-caller fallback stays beside the bound arguments', async () => {
    const { policy } = await analyzeWithSummaries([CALLEE], [caller, callee]);
    expect(legalOf(policy, 'fill').any).toBe(true);
    expect(legalOf(policy, 'fill').reasons.map((r) => r.kind)).toContain('unknown-external');
    expect(legalOf(policy, 'poke').any).toBe(true);
    // "any struct msg" (foreign objects of the type, which admits stack and globals of it too)
    const m = legalOf(policy, 'put_msg');
    expect(m).toMatchObject({ any: false, stack: true, foreign: true });
    expect(m.reasons.map((r) => r.kind)).toEqual(['untyped-origin']);
  });

  it('closed world: the stack slot and globals the callers pass, and nothing else', async () => {
    const { policy } = await analyzeWithSummaries([CALLEE], [caller], { closedWorld: true });
    const f = legalOf(policy, 'fill');
    expect(f.any).toBe(false);
    expect(f.stack).toBe(true);
    expect(f.globals).toEqual(['gbuf']);
    const m = legalOf(policy, 'put_msg');
    expect(m).toMatchObject({ any: false, stack: true, globals: ['the_msg'], reasons: [] });
    expect(m.foreign ?? false).toBe(false);
    // through relay, which passes on its own parameter: from_relay's stack slot
    expect(legalOf(policy, 'poke')).toMatchObject({ any: false, stack: true, globals: [] });
    const c = legalOf(policy, 'cb');
    expect(c).toMatchObject({ any: false, stack: false, globals: ['gbuf2'] });
    // one caller passes gbuf, another a fixed address its own TU loses: not bounded to gbuf, and the
    // reason names the context, not a function without IR
    const st = legalOf(policy, 'stash');
    expect(st.any).toBe(true);
    expect(st.reasons).toEqual([
      { kind: 'context-lost', detail: 'argument %p: a caller in the context, read as a summary, passes a pointer its own analysis loses' },
    ]);
  });
});
