// The skb-head class against the kernel's own code (analysis/skbheads.ts, runtime/loader fns.c and
// attach.c): in the IR of net/core/skbuff.c (Linux 6.1), every store into an sk_buff's `head` or
// `data` must either copy another skb's head pointer (a clone), or run inside a function whose
// heads the run time registers, in the binary: a constructor of fns.c's `skb_ctors` (what is
// allocated under it is registered) or an installer attach.c probes (`build_skb` and kin). A
// function the binary does not have (System.map) was inlined: its callers must be such functions.
// A store elsewhere would install a head the run time never registers: a false alarm.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocatorTable, findAllocationSites, PointsTo, Program, SkbHeads } from '../../src/analysis/index.js';
import { callsIn, calleeOf } from '../../src/analysis/flow.js';
import type { Function } from '../../src/ir/index.js';
import { corpusDir, corpusModules, repoRoot } from '../../scripts/lib/paths.js';

const loader = (file: string) => readFileSync(join(repoRoot(), 'runtime', 'loader', file), 'utf8');
const ctors = [...(/skb_ctors\[\] = \{([^}]*)\}/.exec(loader('fns.c'))?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
const installers = [...loader('attach.c').matchAll(/kc_skb_(?:install_\d|ret)", "([^"]+)"/g)].map((m) => m[1]!);
const kernel = join(corpusDir(), 'linux-6.1', 'kernel');
const inBinary = new Set(
  readFileSync(join(kernel, 'System.map'), 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[2]),
);

describe('the functions that set an skb head (net/core/skbuff.c)', async () => {
  const program = await Program.load([join(corpusDir(), 'linux-6.1', 'net', 'core', 'skbuff.ll')]);
  const found = findAllocationSites(program, allocatorTable());
  const pts = new PointsTo(program, found.sites, found.siteCalls);
  pts.solve();
  const heads = new SkbHeads(program, pts);
  const callers = new Map<Function, Function[]>();
  for (const fn of program.definedFunctions())
    for (const call of callsIn(fn.value)) {
      const callee = calleeOf(call);
      if (callee) callers.set(callee, [...(callers.get(callee) ?? []), fn.value]);
    }
  /** A function the run time hooks, or one inlined only into such functions. */
  const hooked = (f: Function, seen = new Set<Function>()): boolean => {
    if (ctors.includes(f.name) || installers.includes(f.name)) return true;
    if (inBinary.has(f.name) || seen.has(f)) return false;
    seen.add(f);
    const up = callers.get(f) ?? [];
    return up.length > 0 && up.every((c) => hooked(c, seen));
  };
  const stores = [...program.definedFunctions()].flatMap((fn) =>
    fn.value.blocks.flatMap((b) =>
      b.instructions
        .filter((i) => i.opcode === 'store' && heads.isHeadMember(i.operands[1]!))
        .map((i) => ({ fn: fn.value, value: i.operands[0]!, module: fn.module })),
    ),
  );

  it("reads the run time's tables", () => {
    expect(ctors).toEqual(expect.arrayContaining(['__alloc_skb', 'pskb_expand_head']));
    expect(installers).toEqual(expect.arrayContaining(['build_skb', 'build_skb_around']));
  });

  it('finds the stores into head and data: new heads in the constructors and installers, copies elsewhere', () => {
    const news = new Set(stores.filter((s) => !heads.isHeadPointer(s.value, s.module)).map((s) => s.fn.name));
    const copies = new Set(stores.filter((s) => heads.isHeadPointer(s.value, s.module)).map((s) => s.fn.name));
    for (const f of ['__alloc_skb', 'pskb_expand_head', 'pskb_carve', '__napi_alloc_skb', 'build_skb', 'build_skb_around'])
      expect(news, f).toContain(f);
    // a clone takes its original's head; skb_push moves data inside it
    for (const f of ['__skb_clone', 'skb_push', 'skb_pull']) expect(copies, f).toContain(f);
  });

  it('sets a new head only where the run time registers it', () => {
    const unhooked = stores.filter((s) => !heads.isHeadPointer(s.value, s.module) && !hooked(s.fn)).map((s) => s.fn.name);
    expect([...new Set(unhooked)]).toEqual([]);
  });
});

describe('the rest of net/core and net/ipv6', async () => {
  const files = ['core', 'ipv6'].flatMap((d) => corpusModules(`linux-6.1/net/${d}`)).filter((f) => !f.endsWith('/skbuff.ll'));
  const program = await Program.load(files);
  const found = findAllocationSites(program, allocatorTable());
  const pts = new PointsTo(program, found.sites, found.siteCalls);
  pts.solve();
  const heads = new SkbHeads(program, pts);

  it('moves an skb head or data pointer only within the head it had (a head pointer stored back)', () => {
    const stores = [...program.definedFunctions()].flatMap((fn) =>
      fn.value.blocks.flatMap((b) =>
        b.instructions
          .filter((i) => i.opcode === 'store' && heads.isHeadMember(i.operands[1]!))
          .map((i) => ({ where: `${fn.module.name}:${fn.value.name}`, ok: heads.isHeadPointer(i.operands[0]!, fn.module) })),
      ),
    );
    expect(stores.length).toBeGreaterThan(20);
    expect(stores.filter((s) => !s.ok).map((s) => s.where)).toEqual([]);
  }, 120_000);
});
