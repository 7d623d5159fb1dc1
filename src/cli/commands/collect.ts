// Owns `kcompart collect`: the textual IR of a clang-built kernel tree (the
// whole tree, some directories, or an external module's directory), from
// kbuild's own per-object commands, with a progress bar on a terminal and one
// line per translation unit otherwise, and the collection's summary.
import { availableParallelism } from 'node:os';
import { type CollectProgress, type CollectResult, collectIr } from '../../collect/index.js';
import { counts, parseCommand, shownPath, UsageError, type Command } from '../common.js';

const usage = `usage: kcompart collect <kbuild-tree> [dir|file.o ...] [-M module-dir] [-o out-dir] [-j N] [--all] [--force] [--json]
  Writes the textual IR (X.ll) of every C translation unit of a kernel tree built with clang
  (make LLVM=1 or LLVM=-N): kbuild's own compile of X.o, saved in .X.o.cmd, rerun with
  -emit-llvm -S -fno-discard-value-names, as 'make X.ll' does. Run with the tree's clang on PATH.
    <kbuild-tree>   the built kernel tree, or a headers tree with -M
    dir|file.o      only these directories / objects (relative to the tree, or to -M); default all
    -M module-dir   an external module built with make -C <kbuild-tree> M=module-dir
    -o out-dir      write the .ll files there (mirroring the tree); default next to each object
    -j N            parallel compiles (default ${availableParallelism()})
    --all           also kernel C linked into neither vmlinux nor a module (vDSO, real-mode, boot code)
    --force         recompile .ll files that are up to date (newer than the .cmd, source and headers)
  --json prints the summary as JSON.`;

/** The progress display: a bar rewritten in place on a terminal, one plain line per TU otherwise. */
function progressDisplay(): { onProgress: (p: CollectProgress) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  const t0 = performance.now();
  let last = 0;
  return {
    onProgress: (p) => {
      const secs = ((performance.now() - t0) / 1e3).toFixed(1);
      if (!tty) {
        process.stderr.write(`[${secs} s] collect ${p.done}/${p.total} ${p.source}${p.upToDate ? ' (up to date)' : ''}\n`);
        return;
      }
      // a terminal: redraw at most ten times a second, and at the end
      const now = performance.now();
      if (now - last < 100 && p.done !== p.total) return;
      last = now;
      const width = 30;
      const filled = Math.round((width * p.done) / p.total);
      const cols = process.stderr.columns ?? 100;
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} ${secs} s ${p.source}`;
      process.stderr.write(`\r\x1b[K${line.slice(0, cols - 1)}`);
    },
    done: () => {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

/** The collection's summary. */
export function printCollectSummary(r: CollectResult): void {
  const skipped = counts(r.skipped);
  console.log(
    `kcompart collect: ${r.units.length} translation units of ${shownPath(r.tree)} (${r.compiled} compiled, ${r.upToDate} up to date), ${(r.bytes / 1e6).toFixed(1)} MB of IR`,
  );
  console.log(
    `  ${r.seconds.toFixed(1)} s with -j${r.jobs}${r.cpuSeconds !== undefined ? `, ${r.cpuSeconds.toFixed(1)} CPU-s of clang` : ''}; compiler ${r.compiler}`,
  );
  const linked = counts({
    vmlinux: r.units.filter((u) => u.linkage === 'vmlinux').length,
    modules: r.units.filter((u) => u.linkage === 'module').length,
  });
  if (linked) console.log(`  linked into      ${linked}`);
  if (skipped) console.log(`  not collected    ${skipped}`);
}

export const collectCommand: Command = {
  name: 'collect',
  summary: 'kernel tree built with clang -> the textual IR (.ll) of its translation units',
  usage,
  async run(argv) {
    const parsed = parseCommand(
      this,
      argv,
      {
        module: { type: 'string', short: 'M' },
        output: { type: 'string', short: 'o' },
        jobs: { type: 'string', short: 'j' },
        force: { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
      },
      true,
    );
    if (!parsed) return;
    const { values, positionals } = parsed;
    const [tree, ...select] = positionals;
    if (tree === undefined) throw new UsageError('collect takes the kbuild tree');
    const jobs = values.jobs !== undefined ? Number(values.jobs) : undefined;
    if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0))
      throw new UsageError(`-j takes a positive integer, not '${values.jobs}'`);
    const progress = progressDisplay();
    let result: CollectResult;
    try {
      result = await collectIr({
        tree,
        select,
        ...(values.module !== undefined ? { moduleDir: values.module } : {}),
        ...(values.output !== undefined ? { outputDir: values.output } : {}),
        ...(jobs !== undefined ? { jobs } : {}),
        force: values.force,
        all: values.all,
        onProgress: progress.onProgress,
      });
    } finally {
      progress.done();
    }
    if (values.json) {
      const { units, ...summary } = result;
      console.log(JSON.stringify({ ...summary, units: units.length }));
    } else printCollectSummary(result);
  },
};
