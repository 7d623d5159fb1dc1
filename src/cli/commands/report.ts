// Owns the `kcompart report` subcommand (issue 17): reads a mapped policy and
// optionally the loader's events (its log, an e2e guest log, or JSON lines)
// and counters, writes the static HTML report (src/report) into a directory,
// and prints the report's summary lines and the pages written.
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { readPolicy } from '../../policy/index.js';
import { mergeEvents, parseEvents, summaryLines, writeReport, type RunEvents } from '../../report/index.js';
import { parseCommand, UsageError, type Command } from '../common.js';

export const REPORT_USAGE = `usage: kcompart report POLICY.mapped.json -o DIR [--events loader.log|events.jsonl]
                       [--counters FILE] [--source-root DIR|OLD=NEW]... [--title TEXT] [--json]
  Writes a self-contained static HTML report into DIR (open DIR/index.html from disk): what every
  write of the compartment may touch, which machine sites are checked and which are not (statically
  safe, any, unmapped, no operand, refused at attach), a page per source file, the violations and
  allocation sites.
  --events       the loader's output (its log, or a whole \`npm run e2e\` guest log), or JSON lines
                 ({"type":"violation"|"refused"|"counters"|"attached", ...}; see src/report/events.ts)
  --counters     another file with KC-COUNTERS lines (e.g. the loader's output on SIGUSR2)
  --source-root  where to find the sources the debug info names: DIR (the path, or a trailing part
                 of it, under DIR) or OLD=NEW (prefix rewrite); repeatable`;

/** `kcompart report …`: see {@link REPORT_USAGE}. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'policy.mapped.json [+ loader events] -> a static HTML report of what is protected, per source line',
  usage: REPORT_USAGE,
  run: runReport,
};

async function runReport(argv: string[]): Promise<void> {
  const parsed = parseCommand(
    reportCommand,
    argv,
    {
      output: { type: 'string', short: 'o' },
      events: { type: 'string' },
      counters: { type: 'string' },
      'source-root': { type: 'string', multiple: true },
      title: { type: 'string' },
    },
    true,
  );
  if (!parsed) return;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('report takes one mapped policy.json');
  if (!values.output) throw new UsageError('-o DIR is required');
  const policy = await readPolicy(positionals[0]!);
  let events: RunEvents | undefined;
  if (values.events) events = parseEvents(await readFile(values.events, 'utf8'));
  if (values.counters) {
    const c = parseEvents(await readFile(values.counters, 'utf8'));
    const onlyCounters: RunEvents = { violations: [], refusals: [], counters: c.counters, notes: [], format: c.format };
    events = events ? mergeEvents(events, onlyCounters) : onlyCounters;
  }
  const t0 = performance.now();
  const r = await writeReport(policy, values.output, {
    ...(events ? { events } : {}),
    ...(values['source-root'] ? { sourceRoots: values['source-root'] } : {}),
    ...(values.title ? { title: values.title } : {}),
  });
  const seconds = (performance.now() - t0) / 1e3;
  if (values.json) {
    console.log(
      JSON.stringify({
        index: r.index,
        pages: r.pages.length,
        bytes: r.pages.reduce((n, p) => n + p.bytes, 0),
        largest: r.pages[0],
        missingSources: r.missingSources,
        figures: r.model.figures,
        totals: r.model.totals,
        ms: r.ms,
      }),
    );
    return;
  }
  for (const l of summaryLines(r.model)) console.log(l);
  const bytes = r.pages.reduce((n, p) => n + p.bytes, 0);
  const largest = r.pages[0]!;
  console.log(
    `  pages            ${r.pages.length} (${(bytes / 1024).toFixed(0)} KiB; largest ${relative(values.output, largest.path)} ${(largest.bytes / 1024).toFixed(0)} KiB) in ${seconds.toFixed(1)} s`,
  );
  if (r.missingSources.length) {
    console.log(
      `  sources missing  ${r.missingSources.length} of ${r.model.files.length} (${r.missingSources.slice(0, 3).join(', ')}${r.missingSources.length > 3 ? ', …' : ''}); --source-root DIR relocates them`,
    );
  }
  console.log(`  wrote            ${r.index}`);
}
