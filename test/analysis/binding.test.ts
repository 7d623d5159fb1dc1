// Points-to binds a call through a lost function pointer (analysis/pointsto.ts connectIndirect)
// to the address-taken functions of the call's C prototype, as kCFI compares them: on a small
// clang-19 module (test/fixtures/analysis/binding.c) whose two callbacks share the IR signature
// `void (ptr)` and differ only in their debug prototypes. The prototype comes from the callee's
// variable, or from the function-pointer member it is loaded from through a chain of loads. And a
// store that moves a field's own pointer (`b->data += n`) puts nothing new into the field's cell.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocatorTable, findAllocationSites, PointsTo, Program } from '../../src/analysis/index.js';

const file = join(import.meta.dirname, '../fixtures/analysis/binding.ll');

describe('a call through a lost function pointer', async () => {
  const program = await Program.load([file]);
  const found = findAllocationSites(program, allocatorTable());
  const pts = new PointsTo(program, found.sites, found.siteCalls);
  pts.solve();
  const param = (name: string) => {
    const fn = [...program.definedFunctions()].find((f) => f.value.name === name)!;
    return pts.refsOf(fn.value.arguments[0]!, fn.module);
  };

  it("passes xmit's packet (rt->ops->fail, a `void (struct pkt *)` member) to fail, not to setup", () => {
    expect(param('fail')).toContain('typeany:struct pkt@0');
    expect(param('setup')).not.toContain('typeany:struct pkt@0');
  });

  it("passes kick's device (a `void (*)(struct netdev *)` parameter) to setup, not to fail", () => {
    expect(param('setup')).toEqual(['typeany:struct netdev@0']);
    expect(param('fail')).not.toContain('typeany:struct netdev@0');
  });

  it('so a store through either parameter writes the cells of its own type only, with its own objects', () => {
    const cells = new Map(pts.fieldStores());
    expect([...cells.keys()].filter((c) => /^T:struct (pkt|netdev)@/.test(c)).sort()).toEqual(['T:struct netdev@8', 'T:struct pkt@8']);
    expect(cells.get('T:struct pkt@8')).toEqual(['typeany:struct pkt@0']);
    expect(cells.get('T:struct netdev@8')).toEqual(['typeany:struct netdev@0']);
  });

  it("moves a field's pointer without putting unknown into its cell (b->data += n through a lost pointer)", () => {
    // pull's buffer is an integer cast to a struct buf *: its load of b->data is lost, and before
    // the self-update rule the store of that value plus n exported "unknown" into the cell
    expect(new Map(pts.fieldStores()).get('T:struct buf@8')).toEqual(['global:binding.c::area@0']);
  });
});
