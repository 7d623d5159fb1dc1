// page_address(page) (analysis/pages.ts): the integer arithmetic of x86-64's page_to_virt is
// recognized, and points-to sends the write into the memory of the pages `page` may be
// (test/fixtures/analysis/pages.c, and net/core/xdp.c of the corpus), not to "any".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeProgram, Program } from '../../src/analysis/index.js';
import { pageOfAddress } from '../../src/analysis/pages.js';
import { parseModule, validatePolicy } from '../../src/index.js';
import type { Instruction } from '../../src/ir/index.js';
import { corpusModules } from '../../scripts/lib/paths.js';

const file = join(import.meta.dirname, '../fixtures/analysis/pages.ll');
const module = parseModule(readFileSync(file), { filename: file });

const inttoptrs = (m: typeof module): [string, Instruction][] =>
  m.functions.flatMap((f) =>
    f.blocks.flatMap((b) => b.instructions.filter((i) => i.opcode === 'inttoptr').map((i): [string, Instruction] => [f.name, i])),
  );

/** A function of hand-written IR computing `base + offset` from a page pointer `%p`, as its inttoptr's page (or undefined). */
const pageOf = (body: string): string | undefined => {
  const text = `@vmemmap_base = external global i64\n@page_offset_base = external global i64\n@other = external global i64\ndefine ptr @f(ptr %p, i64 %n, ptr %q) {\n${body}\n  ret ptr %r\n}\n`;
  const [[, i]] = inttoptrs(parseModule(text, { filename: 'hand.ll' })) as [[string, Instruction]];
  const p = pageOfAddress(i.operands[0]!);
  return p?.kind === 'argument' ? p.name : p === undefined ? undefined : 'other';
};

describe('page_address recognition', () => {
  it("finds clang-19's page_to_virt in every function of the fixture", () => {
    const found = inttoptrs(module).map(([f, i]) => [f, pageOfAddress(i.operands[0]!)?.kind]);
    expect(found).toEqual([
      ['frame_in_page', 'instruction'],
      ['write_frag', 'instruction'],
      ['write_lost', 'instruction'],
    ]);
  });
  it('takes the pfn << PAGE_SHIFT spelling and the constant bases of a kernel without KASLR', () => {
    const pfn = `  %i = ptrtoint ptr %p to i64\n  %v = load i64, ptr @vmemmap_base\n  %d = sub i64 %i, %v\n  %pfn = ashr exact i64 %d, 6\n  %b = shl i64 %pfn, 12\n  %o = load i64, ptr @page_offset_base\n  %a = add i64 %b, %o\n  %r = inttoptr i64 %a to ptr`;
    expect(pageOf(pfn)).toBe('p');
    const constants = `  %i = ptrtoint ptr %p to i64\n  %d = add i64 %i, 24189255811072\n  %b = mul i64 %d, 64\n  %a = add i64 %b, -131391639519232\n  %r = inttoptr i64 %a to ptr`;
    expect(pageOf(constants)).toBe('p');
    // an offset computed from integers only stays in the page's block
    const offset = `  %i = ptrtoint ptr %p to i64\n  %v = load i64, ptr @vmemmap_base\n  %d = sub i64 %i, %v\n  %b = shl i64 %d, 6\n  %o = load i64, ptr @page_offset_base\n  %a0 = add i64 %b, %n\n  %a = add i64 %a0, %o\n  %r = inttoptr i64 %a to ptr`;
    expect(pageOf(offset)).toBe('p');
    // terms of one operand (a widened offset loaded from memory) are offsets too, not a crash
    const widened = `  %i = ptrtoint ptr %p to i64\n  %v = load i64, ptr @vmemmap_base\n  %d = sub i64 %i, %v\n  %b = shl i64 %d, 6\n  %o = load i64, ptr @page_offset_base\n  %m = load i32, ptr %q\n  %z = zext i32 %m to i64\n  %a0 = add i64 %z, %o\n  %a = add i64 %a0, %b\n  %r = inttoptr i64 %a to ptr`;
    expect(pageOf(widened)).toBe('p');
    // nor is an inttoptr of a lone load
    expect(pageOf(`  %a = load i64, ptr %q\n  %r = inttoptr i64 %a to ptr`)).toBeUndefined();
  });
  it('refuses arithmetic that is not page_to_virt, or mixes in another pointer', () => {
    // another pointer added in: the address is no longer inside the page
    const mixed = `  %i = ptrtoint ptr %p to i64\n  %v = load i64, ptr @vmemmap_base\n  %d = sub i64 %i, %v\n  %b = shl i64 %d, 6\n  %o = load i64, ptr @page_offset_base\n  %j = ptrtoint ptr %q to i64\n  %a0 = add i64 %b, %j\n  %a = add i64 %a0, %o\n  %r = inttoptr i64 %a to ptr`;
    expect(pageOf(mixed)).toBeUndefined();
    // another global than the direct map's base
    const other = `  %i = ptrtoint ptr %p to i64\n  %v = load i64, ptr @vmemmap_base\n  %d = sub i64 %i, %v\n  %b = shl i64 %d, 6\n  %o = load i64, ptr @other\n  %a = add i64 %b, %o\n  %r = inttoptr i64 %a to ptr`;
    expect(pageOf(other)).toBeUndefined();
    // a scale that is not sizeof(struct page) to PAGE_SIZE
    const scale = `  %i = ptrtoint ptr %p to i64\n  %v = load i64, ptr @vmemmap_base\n  %d = sub i64 %i, %v\n  %b = shl i64 %d, 5\n  %o = load i64, ptr @page_offset_base\n  %a = add i64 %b, %o\n  %r = inttoptr i64 %a to ptr`;
    expect(pageOf(scale)).toBeUndefined();
  });
});

describe('writes through page_address', () => {
  const program = new Program([{ module, name: module.sourceFilename!, role: 'compartment' }]);
  const { policy } = analyzeProgram(program);
  const sets = (fn: string) => policy.accesses.filter((a) => a.function === fn).map((a) => a.legal);
  const pageSite = (fn: string) => policy.allocationSites.find((s) => s.caller === fn && s.type.name === 'struct page')?.id;

  it('validates', () => expect(() => validatePolicy(policy)).not.toThrow());
  it("may write only the memory of the pages the page pointer comes from: alloc_pages' site, no descriptor", () => {
    const site = pageSite('frame_in_page');
    expect(site).toBeDefined();
    const frame = sets('frame_in_page');
    expect(frame).toHaveLength(2);
    for (const l of frame)
      expect(l).toMatchObject({ any: false, stack: false, vmemmap: false, buddySites: [site], slabSites: [], globals: [] });
  });
  it('follows the page through the field it is stored in, at any offset into the block', () => {
    const written = sets('write_frag');
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ any: false, buddySites: [pageSite('fill_frag')], stack: false, vmemmap: false });
  });
  it('keeps "any" for the memory of a page the analysis lost, saying why', () => {
    const lost = sets('write_lost');
    expect(lost).toHaveLength(1);
    expect(lost[0]!.any).toBe(true);
    expect(lost[0]!.reasons.map((r) => r.kind)).toContain('int-to-ptr');
  });
});

describe('page_address on the corpus (net/core/xdp.c)', () => {
  it('xdpf_clone writes its clone into the page it allocated, not into "any struct xdp_frame"', async () => {
    const xdp = corpusModules('linux-6.1/net/core').filter((f) => f.endsWith('/xdp.ll'));
    const { policy } = await analyze(xdp, []);
    const clone = policy.accesses.filter(
      (a) => a.function === 'xdpf_clone' && a.location[0]?.line !== undefined && a.location[0].line >= 698 && a.location[0].line <= 704,
    );
    expect(clone.length).toBeGreaterThanOrEqual(5);
    for (const a of clone)
      expect(a.legal).toMatchObject({ any: false, buddySites: ['net/core/xdp.c:xdpf_clone:12'], slabSites: [], stack: false });
  });
});
