// Tests the indirect-call → machine-instruction mapping (src/binary/icall-map.ts): on a clang
// fixture built twice — plainly (`call *%rax`, `call *0x8(%rdi)`, a `jmp *` tail call) and with
// `-mretpoline-external-thunk` as the kernel builds (`call __x86_indirect_thunk_<reg>` through a
// relocation) — each indirect call maps to one instruction with the right register / operand;
// on the corpus (net/ipv6 objects, the policy's indirect calls from the analysis), the mapped
// share, and — the oracle — llvm-objdump says every recorded instruction is a `call`/`jmp`
// whose relocation names the thunk of the recorded register.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/index.js';
import { mapIndirectCalls, readElf } from '../../src/binary/index.js';
import type { IndirectCall, Policy } from '../../src/policy/schema.js';
import { haveTool, ipv6ObjectDir, run } from './support/llvm.js';

const CLANG = process.env['CLANG'] ?? 'clang-19';
const OBJDUMP = process.env['LLVM_OBJDUMP'] ?? 'llvm-objdump-19';

const SOURCE = `struct ops { long id; int (*run)(int); void (*stop)(void *); };
int consume(int);
int by_register(int (*f)(int), int x) {
  return consume(f(x)) + 1;
}
int by_field(struct ops *o, int x) {
  return consume(o->run(x)) + 2;
}
void by_tail(struct ops *o, void *p) {
  o->stop(p);
}
`;

let dir = '';
let policy: Policy;
const objects: Record<'plain' | 'thunk', string> = { plain: '', thunk: '' };

beforeAll(async () => {
  if (!(await haveTool(CLANG))) throw new Error(`${CLANG} is missing: run scripts/setup.sh`);
  dir = mkdtempSync(join(tmpdir(), 'kcompart-icall-map-'));
  writeFileSync(join(dir, 'fixture.c'), SOURCE);
  const ll = join(dir, 'fixture.ll');
  execFileSync(CLANG, ['-O2', '-g', '-S', '-emit-llvm', '-fno-pic', join(dir, 'fixture.c'), '-o', ll]);
  objects.plain = join(dir, 'plain.o');
  objects.thunk = join(dir, 'thunk.o');
  execFileSync(CLANG, ['-O2', '-c', '-fno-pic', ll, '-o', objects.plain]);
  // the thunks are a function attribute set at IR generation: built from the source, same flags
  execFileSync(CLANG, ['-O2', '-g', '-c', '-fno-pic', '-mretpoline-external-thunk', join(dir, 'fixture.c'), '-o', objects.thunk]);
  policy = (await analyze([ll], [])).policy;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function mapped(kind: 'plain' | 'thunk'): Map<string, IndirectCall> {
  const { indirectCalls } = mapIndirectCalls(policy, [{ path: `${kind}.o`, elf: readElf(readFileSync(objects[kind]), objects[kind]) }]);
  return new Map(indirectCalls.map((c) => [c.function, c]));
}

describe('mapIndirectCalls on a clang fixture', () => {
  it('finds the policy has one indirect call per function', () => {
    expect((policy.indirectCalls ?? []).map((c) => c.function).sort()).toEqual(['by_field', 'by_register', 'by_tail']);
  });

  it('reads the target from the register or memory operand of `call *`', () => {
    const m = mapped('plain');
    const reg = m.get('by_register')!.binary!;
    expect(reg).toHaveLength(1);
    expect(reg[0]).toMatchObject({ symbol: 'by_register', confidence: 'exact', call: true });
    expect(reg[0]!.calleeRegister).toMatch(/^r(ax|cx|dx|si|di|8|9|10|11)$/);
    const field = m.get('by_field')!.binary![0]!;
    // clang keeps `o` in a register and calls through memory: call *0x8(%reg)
    expect(field.calleeRegister ?? field.operand).toBeDefined();
    if (field.operand) expect(field.operand).toMatchObject({ displacement: 8, width: 8 });
    const tail = m.get('by_tail')!.binary![0]!;
    expect(tail.confidence).toBe('exact');
    expect(tail.reason).toMatch(/tail call/);
    expect(tail.operand).toMatchObject({ displacement: 16, width: 8 });
  });

  it('reads the register from the retpoline thunk a call or jmp reaches through its relocation', () => {
    const m = mapped('thunk');
    for (const fn of ['by_register', 'by_field', 'by_tail']) {
      const [b] = m.get(fn)!.binary!;
      expect(b!.confidence).toBe('exact');
      expect(b!.thunk).toBe(`__x86_indirect_thunk_${b!.calleeRegister}`);
      expect(b!.operand).toBeUndefined();
    }
    expect(m.get('by_tail')!.binary![0]!.reason).toMatch(/tail call/);
  });

  it('says why a call has no instruction', () => {
    const call = policy.indirectCalls!.find((c) => c.function === 'by_field')!;
    const moved = { ...call, location: [{ ...call.location[0]!, line: 999 }, ...call.location.slice(1)] };
    const { indirectCalls, stats } = mapIndirectCalls({ indirectCalls: [moved] }, [
      { path: 'plain.o', elf: readElf(readFileSync(objects.plain), objects.plain) },
    ]);
    expect(indirectCalls[0]!.binary).toEqual([expect.objectContaining({ confidence: 'unmapped', reason: 'no-rows' })]);
    expect(stats.unmappedReasons['no-rows']).toBe(1);
  });
});

describe('mapIndirectCalls on net/ipv6 (retpoline kernel)', () => {
  const files = ['af_inet6', 'ip6_output', 'route'];
  it('maps nearly every call to thunk calls that objdump confirms', async () => {
    const c = ipv6ObjectDir();
    const { policy: p } = await analyze(
      files.map((f) => join(c, `${f}.ll`)),
      [],
      { sourcePrefixes: ['net/ipv6/'] },
    );
    const objs = files.map((f) => join(c, `${f}.o`));
    const { indirectCalls, stats } = mapIndirectCalls(
      p,
      objs.map((o) => ({ path: o, elf: readElf(readFileSync(o), o) })),
    );
    expect(stats.sites).toBeGreaterThan(30);
    expect((stats.exact + stats.ambiguous) / stats.sites).toBeGreaterThan(0.9);
    expect(stats.forms.thunk).toBe(stats.instructions);
    // the oracle: llvm-objdump's instruction at each offset and its relocation
    const dumps = new Map<string, string>();
    for (const o of objs) dumps.set(o, await run(OBJDUMP, ['-d', '-r', '--no-show-raw-insn', o]));
    let checked = 0;
    for (const call of indirectCalls) {
      for (const b of call.binary ?? []) {
        if (b.confidence === 'unmapped') {
          if (b.reason?.startsWith('unprobeable: ')) expect(b.call).toBe(true);
          continue;
        }
        const text = dumps.get(b.object)!;
        const start = new RegExp(`^([0-9a-f]{16}) <${b.symbol.replace(/\./g, '\\.')}>:$`, 'm').exec(text);
        expect(start, `${b.symbol} in ${basename(b.object)}`).not.toBeNull();
        const at = (parseInt(start![1]!, 16) + (b.callOffset ?? b.offset)).toString(16);
        const m = new RegExp(`^\\s+${at}:\\s+(callq|jmp)\\s.*\\n\\s+[0-9a-f]+:\\s+R_X86_64_PLT32\\s+(\\S+)-0x4$`, 'm').exec(
          text.slice(start!.index),
        );
        expect(m, `${call.id} at ${b.symbol}+0x${b.offset.toString(16)}`).not.toBeNull();
        expect(m![2]).toBe(b.thunk);
        // probed one instruction early (a probed call returns to the wrong address): it ends where the call starts
        if (b.callOffset !== undefined) {
          const before = new RegExp(`^\\s+${(parseInt(start![1]!, 16) + b.offset).toString(16)}:\\s+\\S`, 'm').exec(
            text.slice(start!.index),
          );
          expect(before, `${call.id}: an instruction at the probe offset`).not.toBeNull();
          expect(b.callOffset).toBeGreaterThan(b.offset);
          expect(b.calleeRegister ?? b.operand).toBeDefined();
        }
        checked++;
      }
    }
    expect(checked).toBe(stats.instructions - stats.unprobeable);
    expect(stats.probedBefore).toBeGreaterThan(stats.instructions / 2);
    expect(stats.unprobeable / stats.instructions).toBeLessThan(0.4); // calls that are branch targets (INDIRECT_CALL_* fallbacks)
  }, 120_000);
});
