// Test support for test/emit: small mapped policies built by hand in the shape
// of src/policy/schema.ts (one with ordinary names, one whose every name is
// hostile C), and the corpus addrlabel policy analyzed and mapped for real.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../../src/analysis/index.js';
import { mapSitesToAddresses, readElf } from '../../../src/binary/index.js';
import {
  emptyLegalSet,
  validatePolicy,
  type Access,
  type BinarySite,
  type LegalSet,
  type MemoryOperand,
  type Policy,
} from '../../../src/policy/index.js';
import type { SeedSite } from '../../../src/emit/seed.js';
import { CORPUS } from './bpf.js';

export function legal(over: Partial<LegalSet> = {}): LegalSet {
  return emptyLegalSet(over);
}

export function site(symbol: string, offset: number, operand: MemoryOperand | undefined, over: Partial<BinarySite> = {}): BinarySite {
  return { object: 'net/ipv6/x.o', symbol, offset, section: '.text', ...(operand ? { operand } : {}), confidence: 'exact', ...over };
}

export function access(id: string, fn: string, l: LegalSet, binary: BinarySite[], file = 'net/ipv6/x.c'): Access {
  return {
    id,
    module: file,
    function: fn,
    op: 'store',
    width: 8,
    location: [{ file, line: 10, column: 3, function: fn }],
    legal: l,
    binary,
  };
}

export function policyOf(name: string, accesses: Access[]): Policy {
  return validatePolicy({
    schema: 'kcompart.policy',
    version: 1,
    generator: { tool: 'kcompart', version: 'test' },
    compartment: { name, modules: [], context: [], functions: [] },
    allocationSites: [],
    caches: [],
    accesses,
  });
}

/** A seed site with nothing in its set but `over` (the loader tests that place globals and probes). */
export function seedSite(id: number, over: Partial<SeedSite> = {}): SeedSite {
  return {
    id,
    access: `a${id}`,
    object: '',
    symbol: 'f',
    offset: 0,
    regions: 2,
    gs: false,
    globals: [],
    slabCaches: [],
    slabSites: [],
    buddySites: [],
    vmallocCallers: [],
    flags: 0,
    allocs: [],
    foreignSizes: [],
    function: 'f',
    file: 'f.c',
    line: 1,
    column: 1,
    ...over,
  };
}

/** Four run-time sites (base+index*scale+disp, 32-bit index, gs-relative, negative displacement) and six that need none. */
export function smallPolicy(): Policy {
  return policyOf('small', [
    access('x.c:ip6_output:1', 'ip6_output', legal({ slabCaches: ['skbuff_head_cache'], stack: true }), [
      site('ip6_output', 0x1e, { base: 'rdi', index: 'rsi', scale: 8, displacement: 16, width: 8 }),
      site('ip6_output', 0x40, { base: 'rbx', index: 'r9d', scale: 4, displacement: 0, width: 4 }),
    ]),
    access('x.c:ip6_output:2', 'ip6_output', legal({ percpu: true }), [
      site('ip6_output', 0x52, { base: 'rax', scale: 1, displacement: 8, segment: 'gs', width: 8 }),
      // %gs:__preempt_count(%rip): a per-cpu variable, resolved ahead of time
      site('ip6_output', 0x60, { base: 'rip', scale: 1, displacement: 0, segment: 'gs', ripTarget: '__preempt_count', width: 4 }),
    ]),
    access('x.c:ip6_finish_output:3', 'ip6_finish_output', legal({ globals: ['ipv6_stats'], vmemmap: true }), [
      site('ip6_finish_output', 0x7, { base: 'r12', scale: 1, displacement: -24, width: 4 }),
      // no check: a global of the legal set through rip, a stack write, an unmapped row, no operand
      site('ip6_finish_output', 0x10, { base: 'rip', scale: 1, displacement: 100, ripTarget: 'ipv6_stats+0x8', width: 8 }),
      site('ip6_finish_output', 0x14, { base: 'rsp', scale: 1, displacement: 8, width: 8 }, { staticallySafe: true }),
      site('ip6_finish_output', 0, undefined, { confidence: 'unmapped', reason: 'no rows' }),
      site('ip6_finish_output', 0x20, undefined),
    ]),
    access('x.c:ip6_finish_output:4', 'ip6_finish_output', legal({ any: true }), [
      site('ip6_finish_output', 0x30, { base: 'rdx', scale: 1, displacement: 0, width: 8 }),
    ]),
  ]);
}

/** Names that would break C if pasted: quotes, backslashes, comment ends, newlines, directives, non-ASCII. */
export const HOSTILE = [
  'evil"); int pwned(void) { return 1; } /*',
  'back\\slash\\',
  'end */ int injected; /* ',
  'line\n#include </etc/passwd>\nint x;',
  'caf\u00e9_\u{1F600}_\u0000_\u00ff',
  'trigraph??/\n??=define',
  '\\x41\\101\\"',
];

/** One site per name, the name used as symbol, object, file, function, access id, global and cache. */
export function namedPolicy(names: readonly string[], compartment: string): Policy {
  return policyOf(
    compartment,
    names.map((h, k) => {
      const a = access(
        `${h}:${k}`,
        `fn ${h}`,
        legal({ globals: [h], slabCaches: [h], stack: true }),
        [site(h, 0x10 + k, { base: 'rdi', scale: 1, displacement: k, width: 8 }, { object: h })],
        h,
      );
      return a;
    }),
  );
}

export function hostilePolicy(): Policy {
  return namedPolicy(HOSTILE, `compartment ${HOSTILE[2]}`);
}

/** net/ipv6/addrlabel.ll analyzed as the compartment and mapped against addrlabel.o (the real pipeline, < 1 s). */
export async function addrlabelPolicy(): Promise<Policy> {
  const dir = join(CORPUS, 'linux-6.1', 'net', 'ipv6');
  const { policy } = await analyze([join(dir, 'addrlabel.ll')], []);
  const path = join(dir, 'addrlabel.o');
  return mapSitesToAddresses(policy, [{ path, elf: readElf(readFileSync(path), path) }]).policy;
}

/** A writer-call access (`memcpy(dst, src, n)` and friends) performed by a call instruction. */
export function writerAccess(
  id: string,
  fn: string,
  callee: string,
  writer: NonNullable<Access['writer']>,
  l: LegalSet,
  binary: BinarySite[],
): Access {
  return { ...access(id, fn, l, binary), op: 'call', callee, writer, width: undefined } as Access;
}

/**
 * Issue 11's site shapes: a relocated displacement (`inet6_protos(,%rcx,8)`), a rep string store,
 * writer calls (length in a register, a constant length, no length argument, a destination past
 * the register arguments), a call with no writer (no destination argument), and an unsupported operand.
 */
export function fidelityPolicy(): Policy {
  const l = legal({ globals: ['inet6_protos'], stack: true, slabCaches: ['skbuff_head_cache'] });
  return policyOf('fidelity', [
    access('protocol.c:inet6_add_protocol:1', 'inet6_add_protocol', l, [
      site('inet6_add_protocol', 0x4, { index: 'rcx', scale: 8, displacement: 0, displacementTarget: 'inet6_protos+0x0', width: 8 }),
      site('inet6_add_protocol', 0x10, { base: 'rdi', scale: 1, displacement: 8, displacementTarget: 'inet6_offloads+0x10', width: 4 }),
    ]),
    access('x.c:ip6_output:5', 'ip6_output', l, [
      site('ip6_output', 0x70, { base: 'rdi', scale: 1, displacement: 0, width: 0, repElement: 8 }),
    ]),
    writerAccess('x.c:ip6_output:6', 'ip6_output', 'memcpy', { destination: 0, lengthArgument: 2 }, l, [
      site('ip6_output', 0x80, undefined, { call: true, reason: 'a call: the callee performs the write (no operand)' }),
    ]),
    writerAccess('x.c:ip6_output:7', 'ip6_output', 'copy_page', { destination: 0, length: 4096 }, l, [
      site('ip6_output', 0x90, undefined, { call: true }),
    ]),
    writerAccess('x.c:ip6_output:8', 'ip6_output', 'strcpy', { destination: 0 }, l, [site('ip6_output', 0xa0, undefined, { call: true })]),
    writerAccess('x.c:ip6_output:9', 'ip6_output', 'seven_args', { destination: 6, lengthArgument: 2 }, l, [
      site('ip6_output', 0xb0, undefined, { call: true }),
    ]),
    // an older mapping: no `call` flag, the reason says the callee writes (a tail-call jmp)
    writerAccess('x.c:ip6_output:10', 'ip6_output', 'skb_copy_bits', { destination: 2, lengthArgument: 3 }, l, [
      site('ip6_output', 0xc0, undefined, { reason: 'a jmp: the callee performs the write (no operand)' }),
    ]),
    {
      ...access('x.c:ip6_output:11', 'ip6_output', l, [site('ip6_output', 0xd0, undefined, { call: true })]),
      op: 'call',
      callee: 'no_writer',
    } as Access,
    access('x.c:ip6_output:12', 'ip6_output', l, [
      site('ip6_output', 0xe0, { base: 'rax', scale: 1, displacement: 0, segment: 'fs', width: 8 }),
    ]),
  ]);
}
