// Owns writing a report to disk and the one-call entry point: read the
// sources the model needs (./sources.ts), render every page (./html.ts) and
// write them into the output directory, each file atomically (a temporary
// name, then rename), returning what was written.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Policy } from '../policy/index.js';
import type { RunEvents } from './events.js';
import { renderReport } from './html.js';
import { buildReport, compartmentFiles, type ReportModel } from './model.js';
import { loadSources, type LoadSourcesOptions } from './sources.js';

/** Options of {@link writeReport}. */
export interface WriteReportOptions extends LoadSourcesOptions {
  /** The run's events (parseEvents). */
  readonly events?: RunEvents;
  /** The report's title. */
  readonly title?: string;
}

/** What {@link writeReport} wrote. */
export interface WrittenReport {
  readonly model: ReportModel;
  /** The overview page's path. */
  readonly index: string;
  /** Every page: path and size in bytes, largest first. */
  readonly pages: readonly { readonly path: string; readonly bytes: number }[];
  /** Source files that could not be read. */
  readonly missingSources: readonly string[];
  /** Milliseconds: building the model (with reading the sources), rendering, writing. */
  readonly ms: { readonly build: number; readonly render: number; readonly write: number };
}

/**
 * Builds the report of a mapped policy and writes it into `dir`: index.html
 * (overview), violations.html, allocations.html and one page per compartment
 * source file. Sources are read from the paths of the debug info, relocated
 * by `sourceRoots`; a missing one is named on its page.
 *
 * @example
 * const policy = await readPolicy('out/kcdemo/policy.mapped.json');
 * const events = parseEvents(readFileSync('loader.log', 'utf8'));
 * const { index } = await writeReport(policy, 'out/kcdemo/report', { events });
 */
export async function writeReport(policy: Policy, dir: string, options: WriteReportOptions = {}): Promise<WrittenReport> {
  const t0 = performance.now();
  const sources = loadSources(compartmentFiles(policy), options);
  const model = buildReport(policy, {
    sources,
    ...(options.events ? { events: options.events } : {}),
    ...(options.title ? { title: options.title } : {}),
  });
  const t1 = performance.now();
  const pages = renderReport(model);
  const t2 = performance.now();
  await mkdir(dir, { recursive: true });
  const written: { path: string; bytes: number }[] = [];
  for (const [name, html] of pages) {
    const path = join(dir, name);
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, html);
    await rename(tmp, path);
    written.push({ path, bytes: Buffer.byteLength(html) });
  }
  const t3 = performance.now();
  written.sort((a, b) => b.bytes - a.bytes);
  return {
    model,
    index: join(dir, 'index.html'),
    pages: written,
    missingSources: model.files.filter((f) => f.source.text === undefined).map((f) => f.file),
    ms: { build: t1 - t0, render: t2 - t1, write: t3 - t2 },
  };
}
