// The examples run and print what they promise (built by scripts/setup.sh into dist/).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const run = (script: string, ...args: string[]): string => {
  const js = join(root, 'dist/examples', script);
  if (!existsSync(js)) throw new Error(`${js} missing: run scripts/setup.sh (it builds dist/)`);
  return execFileSync(process.execPath, [js, ...args], { cwd: root, encoding: 'utf8' });
};

describe('examples', () => {
  it('summary prints the bundled example module', () => {
    const out = run('summary.js', 'examples/data/minicompart.ll');
    expect(out).toMatch(/functions: 3 defined, 3 declared/);
    expect(out).toMatch(/mini_conn_alloc\s+3\s+25\s+9\s+1/);
  });
  it('stores lists each store with its inlined-at chain', () => {
    const out = run('stores.js', 'examples/data/minicompart.ll', 'mini_conn_alloc');
    expect(out).toMatch(
      /at mini_set_state \.\/examples\/data\/minicompart\.c:54:11\n\s+inlined into mini_conn_alloc \.\/examples\/data\/minicompart\.c:72:2/,
    );
    expect(out).toMatch(/9 stores in @mini_conn_alloc/);
  });
  it('stores works on real kernel IR', () => {
    const out = run('stores.js', '../shared/corpus/linux-6.1/net/ipv6/route.ll', 'rt6_insert_exception');
    expect(out).toMatch(/at __hlist_del .*include\/linux\/list\.h:906:2\n\s+inlined into hlist_del_rcu/);
  });
  it('btf names the records of the whole kernel that embed a struct, and refuses a file that is not BTF', () => {
    const out = run('btf.js', '../shared/corpus/linux-6.1/kernel/vmlinux.btf', 'netlink_callback');
    expect(out).toMatch(/^struct netlink_callback: 128 bytes, \d+ types/);
    expect(out).toMatch(/struct netlink_sock at byte 856 \(cb\)/);
    expect(() => run('btf.js', 'examples/data/minicompart.ll', 'sock')).toThrow(/minicompart\.ll: byte 0: expected the BTF magic/);
  });
  it('callgraph builds the whole-program call graph from summaries, with the cross-TU indirect edge dst->ops->destroy', () => {
    const out = run('callgraph.js', 'dst_destroy');
    expect(out).toMatch(/^\d+ functions, \d+ direct and \d+ indirect edges \(\d+ indirect calls\)/);
    expect(out).toMatch(/ {2}dst_destroy -> kmem_cache_free\n/);
    // dst.c calls dst->ops->destroy; route.c's ip6_dst_ops_template initializer puts ip6_dst_destroy there
    expect(out).toMatch(/ {2}dst_destroy -> net\/ipv6\/route\.c::ip6_dst_destroy {2}\(indirect, by field\)\n/);
    expect(out).toMatch(/dst_destroy reaches \d+ functions/);
  });
  it('analyze runs the library pipeline on a predicate-narrowed compartment', () => {
    const out = run('analyze.js', 'rt6_insert_exception');
    expect(out).toMatch(/^34 functions, \d+ writes, [\d.]+% unchecked/);
    expect(out).toMatch(/store {4}rt6_insert_exception:1711\n\s+may write: stack/);
    // a netlink attribute's length, written through the skb's tail pointer: the skb-head class
    expect(run('analyze.js', 'rt6_fill_node')).toMatch(
      /store {4}nla_nest_end:1845 < rt6_fill_node:\d+\n\s+may write: any skb head buffer\n/,
    );
  });
});
