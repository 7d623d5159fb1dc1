// The analysis benchmark (`npm run bench:analyze`): read + link + analyze +
// write the policy for compartment net/ipv6 with net/core as context; prints
// the wall time of each stage and the peak memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../src/analysis/index.js';
import { writePolicy } from '../src/policy/index.js';
import { corpusModules } from '../scripts/lib/paths.js';

const ls = (d: string) => corpusModules(`linux-6.1/net/${d}`);
const dir = mkdtempSync(join(tmpdir(), 'kcompart-bench-'));
let peak = 0;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 50);
const t0 = performance.now();
const { policy, summary } = await analyze(ls('ipv6'), ls('core'), { sourcePrefixes: ['net/ipv6/'] });
const t1 = performance.now();
await writePolicy(join(dir, 'policy.json'), policy);
const t2 = performance.now();
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024);
rmSync(dir, { recursive: true });
const s = summary.seconds;
console.log(`kcompart analyze benchmark: net/ipv6 (51 TUs) + net/core context (45 TUs)`);
console.log(
  `  read+link ${s.link.toFixed(2)} s, sites ${s.sites.toFixed(2)} s, points-to ${s.pointsTo.toFixed(2)} s, legal sets ${s.legal.toFixed(2)} s, write ${((t2 - t1) / 1e3).toFixed(2)} s`,
);
console.log(`  total ${((t2 - t0) / 1e3).toFixed(2)} s wall, peak RSS ${(peak / 1e6).toFixed(0)} MB`);
console.log(`  ${summary.accesses} accesses, ${summary.sites.total} sites, ${(100 * summary.anyShare).toFixed(1)}% widened to any`);
