// Owns the report's plain-text summary: the figures of the model in the
// words and order `kcompart analyze`, `map` and `emit` print them (so a
// reader can hold the page against the CLI's output), plus the run's events.
// The `report` command prints these lines; the overview page shows them.
import type { ReportModel } from './model.js';

const pct = (n: number, d: number): string => (d ? `${((100 * n) / d).toFixed(1)}%` : '0%');
const list = (r: Readonly<Record<string, number>>): string =>
  Object.entries(r)
    .filter(([, n]) => n)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** The summary lines of a report model. */
export function summaryLines(m: ReportModel): string[] {
  const { analyze: an, map, emit, run } = m.figures;
  const out: string[] = [];
  out.push(`kcompart report: compartment ${m.compartment}, ${an.functions} functions, ${m.files.length} source files`);
  out.push(
    `  accesses         ${an.accesses}; legal-set size median ${an.legalSetSize.median}, p90 ${an.legalSetSize.p90}, max ${an.legalSetSize.max}`,
  );
  out.push(
    `  widened to any   ${pct(an.any, an.accesses)}; reasons: ${an.reasons.map((r) => `${r.kind} ${r.count}`).join(', ') || 'none'}`,
  );
  const reasons = list(map.unmappedReasons);
  out.push(
    `  mapped           ${map.mapped} (${pct(map.mapped, map.accesses)}): ${map.exact} exact, ${map.ambiguous} ambiguous; ${map.unmapped} unmapped${reasons ? ` (${reasons})` : ''}`,
  );
  out.push(
    `  machine sites    ${map.sites}; statically safe ${map.staticallySafeSites} (rsp ${map.safeBy.rsp}, rbp ${map.safeBy.rbp}, legal globals ${map.safeBy.global}, covered by an earlier check ${map.safeBy.covered}); need a run-time check ${map.checkedSites}`,
  );
  out.push(`  site programs    ${emit.programs} from ${emit.binarySites} machine sites; no program: ${list(emit.skipped) || 'none'}`);
  out.push(
    `  allocation sites ${an.allocationSites}: ${emit.allocations.tracked} tracked by ${emit.allocations.probes} probes, ${emit.allocations.untracked} untracked`,
  );
  const a = m.totals.accesses;
  out.push(
    `  access status    ${Object.entries(a)
      .filter(([, n]) => n)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  if (run) {
    const att = run.attached;
    out.push(
      `  run              ${att ? `attached ${att['sites'] ?? 0} site programs, ` : ''}refused ${run.refusedSitePrograms} site programs + ${run.refusedOtherProbes} other probes; ${run.violations} violations`,
    );
    const refused = list(run.refusedReasons);
    if (refused) out.push(`  refused by       ${refused}`);
    const final = run.counters.find((c) => c.when === 'final') ?? run.counters[run.counters.length - 1];
    if (final)
      out.push(
        `  counters (${final.when}) checks ${final.values['checks'] ?? 0}, passes ${final.values['passes'] ?? 0}, violations ${final.values['violations'] ?? 0}`,
      );
  }
  return out;
}
