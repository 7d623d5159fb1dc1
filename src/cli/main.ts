#!/usr/bin/env node
// The `kcompart` command (DESIGN.md §6). `analyze` reads kernel IR and writes
// the IR-level policy; `map` pins each write to its machine instructions in
// the objects; `emit` writes (and with --compile builds) the eBPF checks and
// their loader; `run` chains the three into one directory, ready to load on
// the target (it never loads or attaches anything itself). Errors print one
// clear line and exit 1; bad usage exits 2.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyze, readAllocatorFile, readSymbolList, type AnalysisSummary } from '../analysis/index.js';
import { AllocatorFileError } from '../analysis/allocators.js';
import { ParseError } from '../ir/errors.js';
import { BinaryError, mapSitesToAddresses, readElf, type MapStats } from '../binary/index.js';
import { BpfCompileError, compileBpf, EmitError, emitBpf } from '../emit/index.js';
import { PolicyError, readPolicy, writeAccessesCsv, writePolicy } from '../policy/index.js';

const USAGE = `usage: kcompart analyze --compartment <files/dirs/globs> [--context <files/dirs/globs>]
                        [--source-prefix net/ipv6/] [--symbols file] [--allocators file.json]
                        [--name NAME] -o policy.json [--csv policy.csv] [--json-summary]
       kcompart map policy.json --objects <files/dirs/globs> -o policy.mapped.json
                    [--csv policy.csv] [--no-static-elimination] [--json-summary]
       kcompart emit policy.mapped.json --out DIR [--name NAME] [--compile [--btf FILE] [--clang clang-19]
                    [--cc cc] [--no-loader] [--no-kfunc] [--no-callbacks]] [--json-summary]
         (--no-kfunc: CO-RE page walk only, kernels before 6.13; --no-callbacks: bounded loops
          instead of bpf_loop, for kernels without a BPF JIT)
       kcompart run --compartment <files> [--context <files>] [--source-prefix P] [--symbols file]
                    [--allocators file.json] --objects <files> --out DIR [--name NAME]
                    [--btf FILE] [--clang clang-19] [--cc cc] [--no-compile] [--no-kfunc] [--no-callbacks]
         (analyze -> DIR/policy.json, map -> DIR/policy.mapped.json, emit + compile -> DIR;
          then on the target: DIR/NAME-loader DIR/NAME.bpf.o)
A directory stands for its *.ll / *.ll.gz files (analyze) or *.o / *.ko files (map);
a glob may use * and ? in its last part.`;

class UsageError extends Error {}

/** Expands files, directories and simple globs (wildcards in the last path part) into .ll paths. */
export function expandInputs(
  args: readonly string[],
  inDirectory: RegExp = /\.ll(\.gz)?$/,
  kind = '.ll',
): string[] {
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
      const hits = readdirSync(a).filter((f) => inDirectory.test(f)).sort().map((f) => join(a, f));
      if (!hits.length) throw new UsageError(`no ${kind} files in ${a}`);
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
  const share = (n: number) => (s.sites.total ? `${((100 * n) / s.sites.total).toFixed(1)}%` : '0%');
  const ev = Object.entries(s.sites.byEvidence).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n} (${share(n)})`).join(', ');
  const conf = Object.entries(s.sites.byConfidence ?? {}).map(([k, n]) => `${k} ${n} (${share(n)})`).join(', ');
  console.log(`kcompart analyze: ${s.modules.compartment} compartment + ${s.modules.context} context modules, ${s.functions} compartment functions`);
  console.log(`  allocation sites ${s.sites.total} (${kinds}); ${s.caches} named caches; ${s.wrappers} wrappers`);
  console.log(`  types by         ${ev}; typeless buffers ${s.sites.typeless}`);
  console.log(`  type confidence  ${conf}`);
  console.log(`  accesses         ${s.accesses}; legal-set size median ${s.legalSetSize.median}, p90 ${s.legalSetSize.p90}, max ${s.legalSetSize.max}`);
  console.log(`  widened to any   ${pct(s.anyShare)}; reasons: ${s.topReasons.map((r) => `${r.kind} ${r.count}`).join(', ') || 'none'}`);
  console.log(`  points-to        ${s.pointsTo.objects} objects, ${s.pointsTo.nodes} nodes, ${s.pointsTo.cells} cells`);
  const t = s.seconds;
  console.log(`  time             read+link ${t.link.toFixed(1)} s, sites ${t.sites.toFixed(1)} s, points-to ${t.pointsTo.toFixed(1)} s, legal sets ${t.legal.toFixed(1)} s`);
  console.log(`  wrote            ${out}`);
}

/** What selects and names a compartment (analyze and run). */
const COMPARTMENT_OPTIONS = {
  compartment: { type: 'string', multiple: true },
  context: { type: 'string', multiple: true },
  'source-prefix': { type: 'string', multiple: true },
  symbols: { type: 'string' },
  allocators: { type: 'string' },
  name: { type: 'string' },
} as const;

async function cmdAnalyze(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMPARTMENT_OPTIONS,
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

function printMapSummary(s: MapStats, out: string): void {
  const pct = (n: number) => (s.accesses ? `${((100 * n) / s.accesses).toFixed(1)}%` : '0%');
  const reasons = Object.entries(s.unmappedReasons).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`kcompart map: ${s.accesses} accesses, ${s.mapped} mapped (${pct(s.mapped)}): ${s.exact} exact, ${s.ambiguous} ambiguous; ${s.unmapped} unmapped${reasons ? ` (${reasons})` : ''}`);
  console.log(`  machine sites    ${s.sites}; statically safe ${s.staticallySafeSites} (rsp ${s.safeBy.rsp}, rbp ${s.safeBy.rbp}, legal globals ${s.safeBy.global}); need a run-time check ${s.checkedSites}`);
  const al = s.allocations;
  const alReasons = Object.entries(al.unmappedReasons).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`  allocation sites ${al.sites}: ${al.exact} exact, ${al.ambiguous} ambiguous (${al.probes} probes); ${al.unmapped} unmapped${alReasons ? ` (${alReasons})` : ''}`);
  console.log(`  wrote            ${out}`);
}

async function cmdMap(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      objects: { type: 'string', multiple: true },
      output: { type: 'string', short: 'o' },
      csv: { type: 'string' },
      'no-static-elimination': { type: 'boolean', default: false },
      'json-summary': { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('map takes one policy.json');
  if (!values.objects?.length) throw new UsageError('--objects is required');
  if (!values.output) throw new UsageError('-o policy.mapped.json is required');
  const policy = await readPolicy(positionals[0]!);
  const objects = [];
  for (const path of expandInputs(values.objects, /\.(o|ko)$/, '.o / .ko')) objects.push({ path, elf: readElf(await readFile(path), path) });
  const { policy: mapped, stats } = mapSitesToAddresses(policy, objects, { noStaticElimination: values['no-static-elimination'] });
  await writePolicy(values.output, mapped);
  if (values.csv) await writeAccessesCsv(values.csv, mapped);
  if (values['json-summary']) console.log(JSON.stringify(stats));
  else printMapSummary(stats, values.output + (values.csv ? ` and ${values.csv}` : ''));
}

async function cmdEmit(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      name: { type: 'string' },
      compile: { type: 'boolean', default: false },
      btf: { type: 'string' },
      clang: { type: 'string', default: 'clang-19' },
      cc: { type: 'string', default: 'cc' },
      'no-loader': { type: 'boolean', default: false },
      'no-kfunc': { type: 'boolean', default: false },
      'no-callbacks': { type: 'boolean', default: false },
      'json-summary': { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('emit takes one mapped policy.json');
  if (!values.out) throw new UsageError('--out DIR is required');
  const policy = await readPolicy(positionals[0]!);
  const { files, stats } = emitBpf(policy, values.name ? { name: values.name } : {});
  await mkdir(values.out, { recursive: true });
  for (const f of files) await writeFile(join(values.out, f.name), f.content);
  let compiled: { objects: number; warnings: number; loader?: string } | undefined;
  if (values.compile) {
    // vmlinux.h of the target kernel: the given BTF, else the running kernel's
    const btf = values.btf ?? '/sys/kernel/btf/vmlinux';
    if (!existsSync(btf)) throw new UsageError(`no BTF at ${btf} (give --btf FILE)`);
    const vmlinuxH = join(values.out, 'vmlinux.h');
    try {
      await writeFile(vmlinuxH, execFileSync('bpftool', ['btf', 'dump', 'file', btf, 'format', 'c'], { maxBuffer: 1 << 30 }));
    } catch (e) {
      throw new EmitError(`bpftool could not dump ${btf}: ${(e as Error).message.split('\n')[0]}`);
    }
    const r = await compileBpf(files, {
      clang: values.clang, vmlinuxH, outDir: values.out,
      extraFlags: [...(values['no-kfunc'] ? ['-DKC_NO_KFUNC'] : []), ...(values['no-callbacks'] ? ['-DKC_NO_CALLBACKS'] : [])],
      ...(values['no-loader'] ? {} : { loader: { cc: values.cc } }),
    });
    compiled = { objects: r.objects.length, warnings: r.diagnostics.filter((d) => d.severity === 'warning').length, ...(r.loader ? { loader: r.loader } : {}) };
  }
  if (values['json-summary']) {
    console.log(JSON.stringify({ ...stats, ...(compiled ? { compiled } : {}) }));
    return;
  }
  const skipped = Object.entries(stats.skipped).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`kcompart emit: ${stats.programs} site programs from ${stats.binarySites} machine sites of ${stats.accesses} accesses`);
  console.log(`  no program       ${skipped || 'none'}`);
  console.log(`  maps seeded      ${stats.globals} globals, ${stats.caches} caches; ${stats.allocations.tracked} allocation sites tracked by ${stats.allocations.probes} probes, ${stats.allocations.untracked} untracked`);
  if (compiled) {
    console.log(`  compiled         ${compiled.objects} object(s) with ${values.clang}, ${compiled.warnings} warning(s)${compiled.loader ? `; loader ${compiled.loader}` : ''}`);
  }
  console.log(`  wrote            ${files.map((f) => join(values.out!, f.name)).join(', ')}`);
}

/** analyze → map → emit (+ compile) into one directory, by the three commands' own option handling. */
async function cmdRun(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMPARTMENT_OPTIONS,
      objects: { type: 'string', multiple: true },
      out: { type: 'string' },
      btf: { type: 'string' },
      clang: { type: 'string', default: 'clang-19' },
      cc: { type: 'string', default: 'cc' },
      'no-compile': { type: 'boolean', default: false },
      'no-kfunc': { type: 'boolean', default: false },
      'no-callbacks': { type: 'boolean', default: false },
    },
    allowPositionals: false,
    strict: true,
  });
  if (!values.compartment?.length) throw new UsageError('--compartment is required');
  if (!values.objects?.length) throw new UsageError('--objects is required');
  if (!values.out) throw new UsageError('--out DIR is required');
  await mkdir(values.out, { recursive: true });
  const policy = join(values.out, 'policy.json');
  const mapped = join(values.out, 'policy.mapped.json');
  const many = (flag: string, xs: readonly string[] | undefined) => (xs ?? []).flatMap((x) => [flag, x]);
  await cmdAnalyze([
    ...many('--compartment', values.compartment), ...many('--context', values.context),
    ...many('--source-prefix', values['source-prefix']),
    ...(values.symbols ? ['--symbols', values.symbols] : []), ...(values.allocators ? ['--allocators', values.allocators] : []),
    ...(values.name ? ['--name', values.name] : []), '-o', policy,
  ]);
  await cmdMap([policy, ...many('--objects', values.objects), '-o', mapped]);
  const name = values.name ?? 'kcompart';
  await cmdEmit([
    mapped, '--out', values.out, '--name', name,
    ...(values['no-compile'] ? [] : ['--compile', '--clang', values.clang, '--cc', values.cc, ...(values.btf ? ['--btf', values.btf] : []),
      ...(values['no-kfunc'] ? ['--no-kfunc'] : []), ...(values['no-callbacks'] ? ['--no-callbacks'] : [])]),
  ]);
  if (!values['no-compile']) console.log(`kcompart run: on the target kernel, as root: ${join(values.out, `${name}-loader`)} ${join(values.out, `${name}.bpf.o`)} [--enforce-after SECONDS]`);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'analyze': await cmdAnalyze(rest); return 0;
      case 'map': await cmdMap(rest); return 0;
      case 'emit': await cmdEmit(rest); return 0;
      case 'run': await cmdRun(rest); return 0;
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
    if (e instanceof BpfCompileError) {
      console.error(`kcompart: ${e.message}`);
      for (const d of e.diagnostics.slice(0, 10)) console.error(`  ${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`);
      return 1;
    }
    if (e instanceof ParseError || e instanceof PolicyError || e instanceof AllocatorFileError || e instanceof BinaryError
      || e instanceof EmitError) {
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
