#!/usr/bin/env node
// The `kcompart` command (DESIGN.md §6). `analyze` reads kernel IR and writes
// the IR-level policy; `map`, `emit` and `run` come with the binary and eBPF
// stages. Errors print one clear line and exit 1; bad usage exits 2.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyze, readAllocatorFile, readSymbolList, type AnalysisSummary } from '../analysis/index.js';
import { AllocatorFileError } from '../analysis/allocators.js';
import { ParseError } from '../ir/errors.js';
import { PolicyError, writeAccessesCsv, writePolicy } from '../policy/index.js';

const USAGE = `usage: kcompart analyze --compartment <files/dirs/globs> [--context <files/dirs/globs>]
                        [--source-prefix net/ipv6/] [--symbols file] [--allocators file.json]
                        [--name NAME] -o policy.json [--csv policy.csv] [--json-summary]
A directory stands for its *.ll and *.ll.gz files; a glob may use * and ? in its last part.`;

class UsageError extends Error {}

/** Expands files, directories and simple globs (wildcards in the last path part) into .ll paths. */
export function expandInputs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (/[*?]/.test(basename(a))) {
      const dir = dirname(a);
      const re = new RegExp(`^${basename(a).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      if (!existsSync(dir)) throw new UsageError(`no such directory: ${dir}`);
      const hits = readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => join(dir, f));
      if (!hits.length) throw new UsageError(`no file matches ${a}`);
      out.push(...hits);
    } else if (existsSync(a) && statSync(a).isDirectory()) {
      const hits = readdirSync(a).filter((f) => /\.ll(\.gz)?$/.test(f)).sort().map((f) => join(a, f));
      if (!hits.length) throw new UsageError(`no .ll files in ${a}`);
      out.push(...hits);
    } else {
      if (!existsSync(a)) throw new UsageError(`no such file: ${a}`);
      out.push(a);
    }
  }
  return out;
}

function printSummary(s: AnalysisSummary, out: string): void {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const kinds = Object.entries(s.sites.byKind).map(([k, n]) => `${k} ${n}`).join(', ');
  const ev = Object.entries(s.sites.byEvidence).map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`kcompart analyze: ${s.modules.compartment} compartment + ${s.modules.context} context modules, ${s.functions} compartment functions`);
  console.log(`  allocation sites ${s.sites.total} (${kinds}); ${s.caches} named caches; ${s.wrappers} wrappers`);
  console.log(`  types by         ${ev}; typeless buffers ${s.sites.typeless}`);
  console.log(`  accesses         ${s.accesses}; legal-set size median ${s.legalSetSize.median}, p90 ${s.legalSetSize.p90}, max ${s.legalSetSize.max}`);
  console.log(`  widened to any   ${pct(s.anyShare)}; reasons: ${s.topReasons.map((r) => `${r.kind} ${r.count}`).join(', ') || 'none'}`);
  console.log(`  points-to        ${s.pointsTo.objects} objects, ${s.pointsTo.nodes} nodes, ${s.pointsTo.cells} cells`);
  const t = s.seconds;
  console.log(`  time             read+link ${t.link.toFixed(1)} s, sites ${t.sites.toFixed(1)} s, points-to ${t.pointsTo.toFixed(1)} s, legal sets ${t.legal.toFixed(1)} s`);
  console.log(`  wrote            ${out}`);
}

async function cmdAnalyze(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      compartment: { type: 'string', multiple: true },
      context: { type: 'string', multiple: true },
      'source-prefix': { type: 'string', multiple: true },
      symbols: { type: 'string' },
      allocators: { type: 'string' },
      name: { type: 'string' },
      output: { type: 'string', short: 'o' },
      csv: { type: 'string' },
      'json-summary': { type: 'boolean', default: false },
    },
    allowPositionals: false,
    strict: true,
  });
  if (!values.compartment?.length) throw new UsageError('--compartment is required');
  if (!values.output) throw new UsageError('-o policy.json is required');
  const compartment = expandInputs(values.compartment);
  const context = expandInputs(values.context ?? []);
  const allocators = values.allocators ? await readAllocatorFile(values.allocators) : undefined;
  const symbols = values.symbols ? await readSymbolList(values.symbols) : undefined;
  const tty = process.stderr.isTTY;
  const t0 = performance.now();
  const { policy, summary } = await analyze(compartment, context, {
    ...(values['source-prefix'] ? { sourcePrefixes: values['source-prefix'] } : {}),
    ...(symbols ? { symbols } : {}),
    ...(allocators ? { allocators } : {}),
    ...(values.name ? { name: values.name } : {}),
    onProgress: (stage) => {
      const line = `[${((performance.now() - t0) / 1e3).toFixed(1)} s] ${stage}`;
      if (tty) process.stderr.write(`\r\x1b[K${line}`);
      else process.stderr.write(`${line}\n`);
    },
  });
  if (tty) process.stderr.write('\r\x1b[K');
  // written only once complete, each file atomically
  await writePolicy(values.output, policy);
  if (values.csv) await writeAccessesCsv(values.csv, policy);
  if (values['json-summary']) console.log(JSON.stringify(summary));
  else printSummary(summary, values.output + (values.csv ? ` and ${values.csv}` : ''));
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'analyze': await cmdAnalyze(rest); return 0;
      case 'map': case 'emit': case 'run':
        console.error(`kcompart ${cmd}: not available yet (see the project's issues)`);
        return 2;
      case undefined: case '-h': case '--help':
        console.log(USAGE);
        return cmd ? 0 : 2;
      default:
        throw new UsageError(`unknown command '${cmd}'`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`kcompart: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof ParseError || e instanceof PolicyError || e instanceof AllocatorFileError) {
      console.error(`kcompart: ${e.message}`);
      return 1;
    }
    if ((e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'EACCES') {
      console.error(`kcompart: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
