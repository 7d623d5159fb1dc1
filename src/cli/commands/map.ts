// Owns `kcompart map`: an IR-level policy onto the compartment's objects —
// every write pinned to its machine instructions, with static elimination
// (DESIGN.md §4) — and the mapper's summary.
import type { MapStats } from '../../binary/index.js';
import { expandInputs, mapStage } from '../../pipeline.js';
import { readPolicy, writeAccessesCsv, writePolicy } from '../../policy/index.js';
import { counts, parseCommand, percent, progressLine, UsageError, type Command } from '../common.js';

const usage = `usage: kcompart map policy.json --objects <files/dirs/globs> -o policy.mapped.json
    [--csv policy.csv] [--no-static-elimination] [--orphans all|unmapped|none] [--json]
  Pins every write of the policy to the machine instructions that perform it (line rows,
  inline chains, x86 decoding) and marks constant stack and legal-global writes safe.
  Machine writes no access claims ("orphan writes") get one fallback access per function,
  checked against the union of its unmapped accesses' legal sets (of all its accesses when
  none is unmapped); --orphans unmapped limits this to functions with unmapped accesses,
  --orphans none turns it off (default all).
  A directory stands for its *.o / *.ko files. --json prints the summary as JSON.`;

/** The mapper's summary. */
export function printMapSummary(s: MapStats, wrote: string): void {
  const reasons = counts(s.unmappedReasons);
  console.log(
    `kcompart map: ${s.accesses} accesses, ${s.mapped} mapped (${percent(s.mapped, s.accesses)}): ${s.exact} exact, ${s.ambiguous} ambiguous; ${s.unmapped} unmapped${reasons ? ` (${reasons})` : ''}`,
  );
  console.log(
    `  machine sites    ${s.sites}; statically safe ${s.staticallySafeSites} (rsp ${s.safeBy.rsp}, rbp ${s.safeBy.rbp}, legal globals ${s.safeBy.global}, covered by an earlier check ${s.safeBy.covered}); need a run-time check ${s.checkedSites} (${percent(s.checkedSites, s.sites)})`,
  );
  const al = s.allocations;
  const alReasons = counts(al.unmappedReasons);
  console.log(
    `  allocation sites ${al.sites}: ${al.exact} exact, ${al.ambiguous} ambiguous (${al.probes} probes); ${al.unmapped} unmapped${alReasons ? ` (${alReasons})` : ''}`,
  );
  const ic = s.indirectCalls;
  const icReasons = counts(ic.unmappedReasons);
  console.log(
    `  indirect calls   ${ic.sites}: ${ic.exact} exact, ${ic.ambiguous} ambiguous (${ic.instructions} instructions: ${ic.forms.thunk} retpoline thunk, ${ic.forms.register} register, ${ic.forms.memory} memory; ${ic.tailCalls} tail calls); ${ic.unmapped} unmapped${icReasons ? ` (${icReasons})` : ''}`,
  );
  const o = s.orphans;
  if (o !== undefined) {
    const per = Object.entries(o.unmapped)
      .map(
        ([r, c]) =>
          `${r} ${c.covered}/${c.covered + c.any + c.noOrphan}${c.any ? ` (any ${c.any})` : ''}${c.noOrphan ? ` (no orphan ${c.noOrphan})` : ''}`,
      )
      .join(', ');
    console.log(
      `  orphan writes    ${o.orphanWrites} in ${o.functions} function symbols (not counted: ${o.skipped.frame} frame, ${o.skipped.userAccess} user access); ${o.fallbackSites} fallback sites in ${o.fallbackAccesses} fallback accesses; unchecked ${o.unchecked.any} (a contributing set is any)`,
    );
    if (per) console.log(`  unmapped behind a fallback, by reason: ${per}`);
    // a writer routine's call no access claims: its write runs unchecked
    if (o.unclaimedWriterCalls.length > 0)
      console.log(
        `  UNCHECKED        ${o.unclaimedWriterCalls.length} writer calls no access claims: ${o.unclaimedWriterCalls.slice(0, 5).join(', ')}${o.unclaimedWriterCalls.length > 5 ? ', …' : ''}`,
      );
    if (s.writerCalls !== undefined)
      console.log(
        `  writer calls     ${s.writerCalls.accesses} calls of a writer routine also checked at calls of it no access claimed (${s.writerCalls.wereUnmapped} of them unmapped before)`,
      );
    if (s.mergedStores !== undefined)
      console.log(
        `  merged stores    ${s.mergedStores} unmapped stores checked at a neighbour's merged wider store (with the union of both sets)`,
      );
  }
  console.log(`  wrote            ${wrote}`);
}

export const mapCommand: Command = {
  name: 'map',
  summary: 'policy.json + objects -> policy.mapped.json: each write at symbol+offset with its operand',
  usage,
  async run(argv) {
    const parsed = parseCommand(
      this,
      argv,
      {
        objects: { type: 'string', multiple: true },
        output: { type: 'string', short: 'o' },
        csv: { type: 'string' },
        'no-static-elimination': { type: 'boolean', default: false },
        orphans: { type: 'string', default: 'all' },
      },
      true,
    );
    if (!parsed) return;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('map takes one policy.json');
    if (!values.objects?.length) throw new UsageError('--objects is required');
    if (!values.output) throw new UsageError('-o policy.mapped.json is required');
    const orphans = values.orphans;
    if (orphans !== 'all' && orphans !== 'unmapped' && orphans !== 'none')
      throw new UsageError(`--orphans takes all, unmapped or none, not ${JSON.stringify(orphans)}`);
    const policy = await readPolicy(positionals[0]!);
    const progress = progressLine();
    const mapped = await mapStage(
      policy,
      expandInputs(values.objects, 'object'),
      { noStaticElimination: values['no-static-elimination'], orphans },
      progress,
    );
    progress.done();
    await writePolicy(values.output, mapped.policy);
    if (values.csv) await writeAccessesCsv(values.csv, mapped.policy);
    if (values.json) console.log(JSON.stringify(mapped.stats));
    else printMapSummary(mapped.stats, values.output + (values.csv ? ` and ${values.csv}` : ''));
  },
};
