// Owns `kcompart run`: the whole chain into one directory through the
// library's pipeline — analyze → map → emit → compile — in memory, each
// stage's output written as it completes; ready to load on the target (it
// never loads or attaches anything itself).
import { join } from 'node:path';
import { buildCompartment, expandInputs } from '../../pipeline.js';
import {
  COMPARTMENT_OPTIONS,
  COMPARTMENT_USAGE,
  compartmentOptions,
  parseCommand,
  progressLine,
  shownPath,
  UsageError,
  type Command,
} from '../common.js';
import { printAnalyzeSummary } from './analyze.js';
import { COMPILE_OPTIONS, COMPILE_USAGE, compiledSummary, compileOptions, printEmitSummary, siteProgramMode } from './emit.js';
import { printMapSummary } from './map.js';

const usage = `usage: kcompart run ${COMPARTMENT_USAGE}
    --objects <files/dirs/globs> --out DIR [--csv] [--no-static-elimination] [--json]
    [--no-compile] ${COMPILE_USAGE}
  analyze -> DIR/policy.json, map -> DIR/policy.mapped.json, emit + compile -> DIR;
  then on the target, as root: DIR/NAME-loader (the BPF object built in; --help lists its options)`;

export const runCommand: Command = {
  name: 'run',
  summary: 'analyze, map, emit and compile into one directory',
  usage,
  async run(argv) {
    const parsed = parseCommand(this, argv, {
      ...COMPARTMENT_OPTIONS,
      ...COMPILE_OPTIONS,
      objects: { type: 'string', multiple: true },
      out: { type: 'string' },
      csv: { type: 'boolean', default: false },
      'no-static-elimination': { type: 'boolean', default: false },
      'no-compile': { type: 'boolean', default: false },
    });
    if (!parsed) return;
    const { values } = parsed;
    if (!values.compartment?.length) throw new UsageError('--compartment is required');
    if (!values.objects?.length) throw new UsageError('--objects is required');
    if (!values.out) throw new UsageError('--out DIR is required');
    const progress = progressLine();
    const build = await buildCompartment(
      {
        ...(await compartmentOptions(values)),
        objects: expandInputs(values.objects, 'object'),
        noStaticElimination: values['no-static-elimination'],
        sitePrograms: siteProgramMode(values['site-programs']),
        outDir: values.out,
        csv: values.csv,
        ...(values['no-compile'] ? {} : { compile: compileOptions(values) }),
      },
      progress,
    );
    progress.done();
    const compiled = build.compile ? compiledSummary(build.compile) : undefined;
    if (values.json) {
      console.log(
        JSON.stringify({
          analyze: build.analysis.summary,
          map: build.map?.stats,
          emit: build.emit?.stats,
          ...(build.emit ? { unchecked: { ...build.emit.unchecked, sites: undefined } } : {}),
          ...(compiled ? { compiled } : {}),
          written: build.written,
          seconds: build.seconds,
        }),
      );
      return;
    }
    printAnalyzeSummary(build.analysis.summary, join(values.out, 'policy.json'));
    if (build.map) printMapSummary(build.map.stats, join(values.out, 'policy.mapped.json'));
    if (build.emit)
      printEmitSummary(
        build.emit.stats,
        compiled,
        build.emit.files.map((f) => join(values.out!, f.name)).join(', '),
        build.emit.unchecked,
        build.emit.icalls.line,
      );
    const c = build.compile;
    if (c?.loader)
      console.log(
        `kcompart run: on the target kernel, as root: ${shownPath(c.loader)} [--enforce-after SECONDS] (the BPF object is built in; --help lists the options)`,
      );
  },
};
