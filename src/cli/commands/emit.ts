// Owns `kcompart emit`: a mapped policy to eBPF C, its seed and the run time
// in a directory, and with --compile the BPF object and the static loader
// built against the target kernel's BTF (DESIGN.md §5), with their summary.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmitStats, SiteProgramMode, UncheckedSummary } from '../../emit/index.js';
import { emitBpf, MAX_SITE_GLOBALS, SITE_PROGRAM_MODES } from '../../emit/index.js';
import { compileStage, type CompartmentBuild } from '../../pipeline.js';
import { readPolicy } from '../../policy/index.js';
import { counts, parseCommand, progressLine, shownPath, UsageError, type Command } from '../common.js';

/** Options of the compile step (emit --compile and run). */
export const COMPILE_OPTIONS = {
  btf: { type: 'string' },
  clang: { type: 'string', default: 'clang-19' },
  cc: { type: 'string', default: 'cc' },
  'no-loader': { type: 'boolean', default: false },
  'no-kfunc': { type: 'boolean', default: false },
  'no-callbacks': { type: 'boolean', default: false },
  'site-programs': { type: 'string', default: 'data' },
} as const;

export const COMPILE_USAGE = `[--btf FILE] [--clang clang-19] [--cc cc] [--no-loader] [--no-kfunc] [--no-callbacks]
    [--site-programs data|per-site]
  --btf: the target kernel's BTF (default /sys/kernel/btf/vmlinux); --no-kfunc: CO-RE page walk
  only, kernels before 6.13; --no-callbacks: bounded loops instead of bpf_loop, for kernels
  without a BPF JIT; --site-programs: one data-driven program attached at every site (default),
  or one generated program per site`;

/** The emitter's site-program mode from the parsed `--site-programs` (a usage error for anything else). */
export function siteProgramMode(value: string | undefined): SiteProgramMode {
  const v = value ?? 'data';
  if (!(SITE_PROGRAM_MODES as readonly string[]).includes(v)) {
    throw new UsageError(`--site-programs takes ${SITE_PROGRAM_MODES.join(' or ')}, not ${v}`);
  }
  return v as SiteProgramMode;
}

/** The compile stage's options from parsed compile options. */
export function compileOptions(values: {
  btf?: string;
  clang?: string;
  cc?: string;
  'no-loader'?: boolean;
  'no-kfunc'?: boolean;
  'no-callbacks'?: boolean;
}) {
  return {
    ...(values.btf ? { btf: values.btf } : {}),
    ...(values.clang ? { clang: values.clang } : {}),
    ...(values.cc ? { cc: values.cc } : {}),
    loader: !values['no-loader'],
    kfunc: !values['no-kfunc'],
    callbacks: !values['no-callbacks'],
  };
}

/** What the compile stage reports in summaries. */
export function compiledSummary(c: NonNullable<CompartmentBuild['compile']>) {
  return {
    objects: c.objects.length,
    warnings: c.diagnostics.filter((d) => d.severity === 'warning').length,
    clang: c.clang,
    ...(c.loader ? { loader: shownPath(c.loader) } : {}),
  };
}

/** The emitter's summary (and the compile stage's, when it ran). */
export function printEmitSummary(
  stats: EmitStats,
  compiled: ReturnType<typeof compiledSummary> | undefined,
  wrote?: string,
  unchecked?: UncheckedSummary,
  icallLine?: string,
): void {
  console.log(
    `kcompart emit: ${stats.programs} site programs from ${stats.binarySites} machine sites of ${stats.accesses} accesses` +
      (stats.siteMode === 'data' ? ` (as data: ${stats.sitePrograms} BPF program attached at every site)` : ' (one BPF program each)'),
  );
  console.log(`  no program       ${counts(stats.skipped) || 'none'}`);
  console.log(
    `  checked as       ${stats.kinds.writer} writer calls at the call (${stats.kinds.writerStartOnly} without a length argument: first byte), ${stats.kinds.rep} rep string stores, ${stats.kinds.relocated} relocated displacements`,
  );
  if (unchecked) console.log(`  ${unchecked.line} (listed in unchecked.txt)`);
  // the loader widens such a site to any memory: a switched-off check, never silent
  if (stats.overGlobalLimit)
    console.log(
      `  WIDENED          ${stats.overGlobalLimit} site programs name more global ranges than the checker searches (${MAX_SITE_GLOBALS}): the loader lets them write any memory`,
    );
  if (icallLine) console.log(`  ${icallLine}`);
  console.log(
    `  maps seeded      ${stats.globals} globals, ${stats.caches} caches; ${stats.allocations.tracked} allocation sites tracked by ${stats.allocations.probes} probes, ${stats.allocations.untracked} untracked`,
  );
  if (compiled)
    console.log(
      `  compiled         ${compiled.objects} object(s) with ${compiled.clang}, ${compiled.warnings} warning(s)${compiled.loader ? `; loader ${compiled.loader}` : ''}`,
    );
  if (wrote) console.log(`  wrote            ${wrote}`);
}

const usage = `usage: kcompart emit policy.mapped.json --out DIR [--name NAME] [--json]
    [--compile ${COMPILE_USAGE}]
  Writes one eBPF check per machine site that needs one, the seed of the legal sets and the
  run time into DIR; --compile also builds NAME.bpf.o and the static loader NAME-loader.`;

export const emitCommand: Command = {
  name: 'emit',
  summary: 'policy.mapped.json -> eBPF C, seed and run time (and with --compile the object and loader)',
  usage,
  async run(argv) {
    const parsed = parseCommand(
      this,
      argv,
      { out: { type: 'string' }, name: { type: 'string' }, compile: { type: 'boolean', default: false }, ...COMPILE_OPTIONS },
      true,
    );
    if (!parsed) return;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('emit takes one mapped policy.json');
    if (!values.out) throw new UsageError('--out DIR is required');
    const policy = await readPolicy(positionals[0]!);
    const emitted = emitBpf(policy, {
      ...(values.name ? { name: values.name } : {}),
      sitePrograms: siteProgramMode(values['site-programs']),
    });
    await mkdir(values.out, { recursive: true });
    for (const f of emitted.files) await writeFile(join(values.out, f.name), f.content);
    let compiled: ReturnType<typeof compiledSummary> | undefined;
    if (values.compile) {
      const progress = progressLine();
      compiled = compiledSummary(await compileStage(emitted, { ...compileOptions(values), outDir: values.out }, progress));
      progress.done();
    }
    const { sites: _sites, ...unchecked } = emitted.unchecked;
    if (values.json) console.log(JSON.stringify({ ...emitted.stats, unchecked, ...(compiled ? { compiled } : {}) }));
    else
      printEmitSummary(
        emitted.stats,
        compiled,
        emitted.files.map((f) => join(values.out!, f.name)).join(', '),
        emitted.unchecked,
        emitted.icalls.line,
      );
  },
};
