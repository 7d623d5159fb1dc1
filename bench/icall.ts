// The indirect-call benchmark (`npm run bench:icall`, issue 16): the target sets of every indirect
// call of net/ipv6 with net/core as context — how many targets, by which reason, and how often the
// set is signature matching alone; then the calls mapped to the corpus objects' machine
// instructions and checked by the emitted programs (mapped/checked line). Last line:
//   icall: N sites, targets mean M, median D, p90 P; signature-only fallback F %
import { readFileSync } from 'node:fs';
import { analyze, indirectCallStats } from '../src/analysis/index.js';
import { mapIndirectCalls, readElf } from '../src/binary/index.js';
import { emitIndirectCalls } from '../src/emit/index.js';
import { expandInputs } from '../src/pipeline.js';
import { corpusDir, corpusModules, repoRoot } from '../scripts/lib/paths.js';

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
// the run-time side: each call's machine instructions in the objects, and what the emitted programs check
const objects = expandInputs([`${corpusDir(repoRoot())}/linux-6.1/net/ipv6`], 'object').map((path) => ({
  path,
  elf: readElf(readFileSync(path), path),
}));
const mapped = mapIndirectCalls(policy, objects);
const m = mapped.stats;
const emitted = emitIndirectCalls({ indirectCalls: mapped.indirectCalls });
console.log(
  `  mapped: ${m.exact + m.ambiguous} of ${m.sites} calls (${m.exact} exact, ${m.ambiguous} ambiguous, ${m.merged} backend-merged) to ${m.instructions} instructions ` +
    `(${m.forms.thunk} retpoline thunk, ${m.forms.register} register, ${m.forms.memory} memory; ${m.tailCalls} tail calls); unmapped ${m.unmapped}; ` +
    `probed at the instruction before the call ${m.probedBefore}, unprobeable ${m.unprobeable} (the call is a branch target, or the instruction before computes the target)`,
);
console.log(`  ${emitted.line}`);
console.log(
  `icall mapped/checked: ${m.exact + m.ambiguous} of ${m.sites} mapped, ${emitted.stats.checkedCalls} checked by ${emitted.stats.programs} programs (${emitted.stats.widened} widened by prototype at load)`,
);
const s = indirectCallStats(calls);
console.log(
  `icall: ${s.sites} sites, targets mean ${s.mean.toFixed(1)}, median ${s.median}, p90 ${s.p90}; signature-only fallback ${(100 * s.signatureOnly).toFixed(1)} %`,
);
