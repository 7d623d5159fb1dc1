// Example: analyze a compartment from the library — here the functions of
// net/ipv6/route.c whose names start with `rt6_`, with net/core as context —
// and print, for each write of one function, where it is and what it may write.
//   node dist/examples/analyze.js [function]
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from 'kcompart';

const corpus = join(import.meta.dirname, '../../../shared/corpus/linux-6.1/net');
const core = readdirSync(join(corpus, 'core'))
  .filter((f) => f.endsWith('.ll'))
  .map((f) => join(corpus, 'core', f));
const fn = process.argv[2] ?? 'rt6_insert_exception';

const { policy, summary } = await analyze([join(corpus, 'ipv6/route.ll')], core, {
  name: 'route.c rt6_*',
  predicate: (f) => f.name.startsWith('rt6_'),
});
console.log(`${summary.functions} functions, ${summary.accesses} writes, ${(100 * summary.anyShare).toFixed(1)}% unchecked`);
for (const a of policy.accesses.filter((x) => x.function === fn)) {
  const where = a.location.map((f) => `${f.function}:${f.line}`).join(' < ');
  const l = a.legal;
  const what = l.any
    ? `anything (${l.reasons.map((r) => r.kind).join(', ')})`
    : [
        l.stack && 'stack',
        l.percpu && 'per-cpu',
        l.vmemmap && 'vmemmap',
        ...l.globals.map((g) => `@${g}`),
        ...l.slabCaches.map((c) => `cache ${c}`),
        l.slabSites.length && `${l.slabSites.length} kmalloc sites`,
        l.buddySites.length && `${l.buddySites.length} page sites`,
        ...l.vmallocCallers.map((c) => `vmalloc by ${c}`),
        // a run-time class: `skb-head`, the head buffer of any sk_buff (the bytes skb->data points into)
        ...(l.classes ?? []).map((c) => `any ${c === 'skb-head' ? 'skb head buffer' : c}`),
      ]
        .filter(Boolean)
        .join(', ');
  console.log(`${a.op.padEnd(8)} ${where}\n         may write: ${what}`);
}
