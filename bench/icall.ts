// The indirect-call benchmark (`npm run bench:icall`, issue 16): the target sets of every indirect
// call of net/ipv6 with net/core as context — how many targets, by which reason, and how often the
// set is signature matching alone. Last line:
//   icall: N sites, targets mean M, median D, p90 P; signature-only fallback F %
import { analyze, indirectCallStats } from '../src/analysis/index.js';
import { corpusModules } from '../scripts/lib/paths.js';

const ls = (d: string) => corpusModules(`linux-6.1/net/${d}`);
const t0 = performance.now();
const { policy } = await analyze(ls('ipv6'), ls('core'), { sourcePrefixes: ['net/ipv6/'] });
const seconds = (performance.now() - t0) / 1e3;
const calls = policy.indirectCalls ?? [];
const byReason = new Map<string, { sites: number; targets: number }>();
for (const c of calls) {
  const k = c.reasons.map((r) => r.kind).join('+') || 'points-to';
  const e = byReason.get(k) ?? { sites: 0, targets: 0 };
  e.sites++;
  e.targets += c.targets.length;
  byReason.set(k, e);
}
console.log(`kcompart icall benchmark: net/ipv6 (51 TUs) + net/core context (45 TUs), analyzed in ${seconds.toFixed(1)} s`);
console.log('  reason                 sites  targets (mean)');
for (const [k, e] of [...byReason].sort((a, b) => b[1].sites - a[1].sites)) {
  console.log(`  ${k.padEnd(22)} ${String(e.sites).padStart(5)}  ${(e.targets / e.sites).toFixed(1).padStart(7)}`);
}
const empty = calls.filter((c) => c.targets.length === 0).length;
console.log(`  sets with no target in the analyzed IR (setters all outside it): ${empty}`);
const s = indirectCallStats(calls);
console.log(
  `icall: ${s.sites} sites, targets mean ${s.mean.toFixed(1)}, median ${s.median}, p90 ${s.p90}; signature-only fallback ${(100 * s.signatureOnly).toFixed(1)} %`,
);
