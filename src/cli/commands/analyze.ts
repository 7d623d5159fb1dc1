// Owns `kcompart analyze`: the compartment's IR (and its context) to the
// IR-level policy, with its one-screen summary (DESIGN.md §3).
import type { AnalysisSummary } from '../../analysis/index.js';
import { buildCompartment } from '../../pipeline.js';
import {
  COMPARTMENT_OPTIONS,
  COMPARTMENT_USAGE,
  compartmentOptions,
  counts,
  parseCommand,
  percent,
  progressLine,
  UsageError,
  type Command,
} from '../common.js';
import { writeAccessesCsv, writeIndirectCallsCsv, writePolicy } from '../../policy/index.js';

const usage = `usage: kcompart analyze ${COMPARTMENT_USAGE}
    -o policy.json [--csv policy.csv] [--icall-csv icalls.csv] [--json]
  Reads the compartment's IR and its context, finds allocation sites, types and caches,
  solves points-to, and writes every write's legal set and every indirect call's target
  set (policy.json, atomically). --csv writes the accesses as CSV, --icall-csv the
  indirect calls.
  A directory stands for its *.ll / *.ll.gz files; a glob may use * and ? in its last part.
  --json prints the summary as one JSON object instead of text.`;

/** The one-screen summary of an analysis. */
export function printAnalyzeSummary(s: AnalysisSummary, wrote: string): void {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const share = (n: number) => percent(n, s.sites.total);
  const evidence = Object.entries(s.sites.byEvidence)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n} (${share(n)})`)
    .join(', ');
  const confidence = Object.entries(s.sites.byConfidence ?? {})
    .map(([k, n]) => `${k} ${n} (${share(n)})`)
    .join(', ');
  console.log(
    `kcompart analyze: ${s.modules.compartment} compartment + ${s.modules.context} context modules, ${s.functions} compartment functions`,
  );
  console.log(`  allocation sites ${s.sites.total} (${counts(s.sites.byKind)}); ${s.caches} named caches; ${s.wrappers} wrappers`);
  console.log(`  types by         ${evidence}; typeless buffers ${s.sites.typeless}`);
  console.log(`  type confidence  ${confidence}`);
  console.log(
    `  accesses         ${s.accesses}; legal-set size median ${s.legalSetSize.median}, p90 ${s.legalSetSize.p90}, max ${s.legalSetSize.max}`,
  );
  console.log(`  widened to any   ${pct(s.anyShare)}; reasons: ${s.topReasons.map((r) => `${r.kind} ${r.count}`).join(', ') || 'none'}`);
  if (s.skbHeadAccesses) console.log(`  skb heads        ${s.skbHeadAccesses} accesses may write only skb head buffers (a run-time class)`);
  const ic = s.indirectCalls;
  console.log(
    `  indirect calls   ${ic.sites}; targets mean ${ic.mean.toFixed(1)}, median ${ic.median}, p90 ${ic.p90}, max ${ic.max}; signature-only ${pct(ic.signatureOnly)}, signature added ${pct(ic.signatureAdded)}`,
  );
  console.log(`  points-to        ${s.pointsTo.objects} objects, ${s.pointsTo.nodes} nodes, ${s.pointsTo.cells} cells`);
  const t = s.seconds;
  console.log(
    `  time             read+link ${t.link.toFixed(1)} s, sites ${t.sites.toFixed(1)} s, points-to ${t.pointsTo.toFixed(1)} s, legal sets ${t.legal.toFixed(1)} s`,
  );
  console.log(`  wrote            ${wrote}`);
}

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'IR of a compartment (and its context) -> policy.json: every write with its legal set',
  usage,
  async run(argv) {
    const parsed = parseCommand(this, argv, {
      ...COMPARTMENT_OPTIONS,
      output: { type: 'string', short: 'o' },
      csv: { type: 'string' },
      'icall-csv': { type: 'string' },
    });
    if (!parsed) return;
    const { values } = parsed;
    if (!values.output) throw new UsageError('-o policy.json is required');
    const options = await compartmentOptions(values);
    const progress = progressLine();
    const { analysis } = await buildCompartment(options, progress);
    progress.done();
    // written only once complete, each file atomically
    await writePolicy(values.output, analysis.policy);
    if (values.csv) await writeAccessesCsv(values.csv, analysis.policy);
    const icallCsv = values['icall-csv'];
    if (icallCsv) await writeIndirectCallsCsv(icallCsv, analysis.policy);
    if (values.json) console.log(JSON.stringify(analysis.summary));
    else printAnalyzeSummary(analysis.summary, [values.output, values.csv, icallCsv].filter(Boolean).join(' and '));
  },
};
