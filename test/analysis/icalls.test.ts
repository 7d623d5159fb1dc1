// Indirect-call target sets on a small clang-19 module (test/fixtures/analysis/icalls.c): each
// function makes one indirect call whose set one rule of src/analysis/icalls.ts decides —
// container_of with no variable naming the outer struct, an element of an array of records indexed
// by a variable, a phi of functions and a select of two fields stored into a field, and a field also
// set from an argument (left open, signature fallback). The same rules on real kernel IR are
// checked in corpus.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeProgram, Program } from '../../src/analysis/index.js';
import { parseModule, validatePolicy } from '../../src/index.js';

const file = join(import.meta.dirname, '../fixtures/analysis/icalls.ll');
const module = parseModule(readFileSync(file), { filename: file });
const program = new Program([{ module, name: module.sourceFilename!, role: 'compartment' }]);
const { policy } = analyzeProgram(program);
const call = (fn: string) => {
  const c = (policy.indirectCalls ?? []).filter((x) => x.function === fn);
  expect(c, fn).toHaveLength(1);
  return c[0]!;
};
const targets = (fn: string) => call(fn).targets.map((t) => t.symbol);

describe('indirect-call target sets', () => {
  it('produces a policy that validates, one call per calling function', () => {
    expect(() => validatePolicy(policy)).not.toThrow();
    expect(policy.indirectCalls?.map((c) => c.function).sort()).toEqual(['call_handler', 'call_update', 'cleaner_run', 'neigh_out']);
  });
  it('container_of(r->tfm, struct engine, base)->ops.update: the -16 from a struct base * is the engine field', () => {
    const c = call('call_update');
    expect(c.fields).toContainEqual({ type: 'struct engine', offset: 8, member: 'ops.update' });
    expect(c.reasons[0]).toMatchObject({ kind: 'field-type' });
    expect(c.reasons[0]!.detail).toContain('container_of from struct base -16');
    // other_update has the prototype but is only stored into an unrelated struct
    expect(targets('call_update')).toEqual(['eng_update']);
  });
  it('table[i].fn: a variable index into an array of records names the record by its IR type', () => {
    const c = call('call_handler');
    expect(c.fields).toEqual([{ type: 'struct handler', offset: 8, member: 'fn' }]);
    expect(c.reasons[0]!.detail).toContain('an element of an array of struct handler');
    // h_other has the prototype but sits in a plain function-pointer global
    expect(targets('call_handler')).toEqual(['h_one', 'h_two']);
  });
  it('n->output: a phi of two functions and a select of two ops fields both reach the field', () => {
    expect(targets('neigh_out')).toEqual(['n_blackhole', 'n_connected', 'n_resolve']);
  });
  it('c->func, also set from an argument: the known setter does not close the set', () => {
    const c = call('cleaner_run');
    expect(c.reasons.map((r) => r.kind)).toEqual(['signature-added']);
    expect(c.reasons[0]!.detail).toContain('cleaner_set stores its argument %func');
    expect(c.prototype).toBe('int (int)');
    expect(targets('cleaner_run')).toEqual(expect.arrayContaining(['c_age', 'h_one', 'h_other', 'n_resolve']));
  });
});
