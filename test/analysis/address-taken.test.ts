// Which functions points-to counts as address-taken (the indirect-call candidates, and the
// functions whose callers the whole program cannot all see), on real kernel IR: an initializer in
// a section the linker discards takes no address at run time. EXPORT_SYMBOL's `__ADDRESSABLE(f)`
// puts one per exported function in `.discard.addressable`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocatorTable, findAllocationSites, PointsTo, Program } from '../../src/analysis/index.js';
import { parseModule } from '../../src/index.js';
import { corpusDir } from '../../scripts/lib/paths.js';

describe('address-taken functions', () => {
  it('net/ipv6/af_inet6.c: an export alone takes no address; a proto_ops initializer does', () => {
    const file = join(corpusDir(), 'linux-6.1', 'net', 'ipv6', 'af_inet6.ll');
    const module = parseModule(readFileSync(file), { filename: file });
    const discarded = module.globals.filter((g) => g.section === '.discard.addressable').length;
    expect(discarded).toBeGreaterThan(10);
    const program = new Program([{ module, name: module.sourceFilename!, role: 'compartment' }]);
    const { sites, siteCalls } = findAllocationSites(program, allocatorTable());
    const pts = new PointsTo(program, sites, siteCalls);
    pts.solve();
    // exported, referenced by `.discard.addressable` and called directly only
    expect(pts.addressTakenNames.has('ipv6_mod_enabled')).toBe(false);
    // exported too, and in inet6_stream_ops: called through proto_ops->release
    expect(pts.addressTakenNames.has('inet6_release')).toBe(true);
  });
});
