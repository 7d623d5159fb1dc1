// The whole-kernel benchmark (`npm run bench:kernel [DIR]`, issue 12 item 4):
// summarizes every .ll under DIR (default `.cache/kernel/linux-source-6.1`, the tree
// scripts/kernel/rebuild.sh builds and collects next to its objects, when it holds IR; else the shared
// corpus's net/ipv6 + net/core) on every core through the content-hash cache,
// builds the whole-program call graph (graphlib), then analyzes net/ipv6 read in
// full with every other TU's summary as context, and again with the net/core
// summaries alone. Its last line is the figure the issue asks for:
// `whole kernel: N TUs, S CPU-s, peak RSS M MB, widened-to-any P %` — the closed-world run
// (the kernel as built is the whole program), after the open-world one.
// (CPU-s: user+sys of this process, its worker threads included; peak RSS: the
// process's, which its worker threads share).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { AnalysisSummary } from '../src/analysis/index.js';
import type { Policy } from '../src/policy/index.js';
import { legalSetSize, percentile } from '../src/policy/legal-set.js';
import { analyzeWithSummaries, buildCallGraph, EscapeClosure, summarizeProgram, type TuSummary } from '../src/summary/index.js';
import { corpusModules, repoRoot } from '../scripts/lib/paths.js';

const root = repoRoot();
const WHOLE = join(root, '.cache/kernel/linux-source-6.1');

/** Every .ll under a directory (recursively), sorted. */
function llFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ll')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

const arg = process.argv[2];
let files: string[];
let compartment: string[];
let source: string;
// rebuild.sh fills collect-summary.json once the whole tree is collected: a tree still collecting is no whole kernel
const COLLECTED = join(root, '.cache/kernel/collect-summary.json');
if (
  arg ||
  (existsSync(COLLECTED) && statSync(COLLECTED).size > 0 && existsSync(WHOLE) && statSync(WHOLE).isDirectory() && llFiles(WHOLE).length)
) {
  const dir = resolve(arg ?? WHOLE);
  files = llFiles(dir);
  compartment = files.filter((f) => relative(dir, f).startsWith(`${join('net', 'ipv6')}/`));
  source = `${relative(process.cwd(), dir) || dir} (${arg ? 'given' : 'the whole-kernel collection'})`;
} else {
  compartment = corpusModules('linux-6.1/net/ipv6');
  files = [...compartment, ...corpusModules('linux-6.1/net/core')];
  source = `the shared corpus linux-6.1 net/ipv6 + net/core (no whole-kernel IR in ${relative(process.cwd(), WHOLE)})`;
}
if (!compartment.length) throw new Error(`no net/ipv6 .ll under ${source}`);
console.log(`bench:kernel: ${files.length} TUs from ${source}; compartment net/ipv6: ${compartment.length} TUs`);

const t0 = performance.now();
const r = await summarizeProgram(files, { onError: 'collect' });
const t1 = performance.now();
const cpu1 = process.cpuUsage();
console.log(
  `summaries: ${r.summaries.length} TUs (${r.hits} from cache, ${r.misses} computed, redone for cross-TU wrappers/caches: ${r.redone.join(', ') || 0}), ` +
    `${((t1 - t0) / 1e3).toFixed(1)} s wall, ${((cpu1.user + cpu1.system) / 1e6).toFixed(1)} CPU-s; ${r.errors.length} TUs did not read`,
);
for (const e of r.errors.slice(0, 5)) console.log(`  unreadable: ${e.message}`);

const cg = buildCallGraph(r.summaries);
console.log(
  `call graph (graphlib): ${cg.stats.nodes} functions (${cg.stats.defined} defined), ${cg.stats.directEdges} direct + ${cg.stats.indirectEdges} indirect edges ` +
    `(${cg.stats.indirectCalls} indirect calls: ${cg.stats.byField} by field setters, ${cg.stats.byPrototype} by prototype/signature through ${cg.stats.hubs} hubs), built in ${cg.stats.seconds.toFixed(2)} s`,
);

interface Figures {
  median: number;
  p90: number;
  max: number;
  any: number;
  unknownExternal: number;
  /** Of which: a parameter callers outside the program may pass anything (`argument %x: …`). */
  unknownArguments: number;
  /** Reasons of kind `context-lost`: code read as summaries loses the pointer itself. */
  contextLost: number;
  /**
   * The two kinds of set the overall median mixes (their sizes are bimodal): sets naming the
   * objects points-to found, and typed fallbacks ("any object of type T": `legal.foreign`).
   */
  named: { n: number; median: number; p90: number };
  typed: { n: number; median: number; p90: number };
  /** Sets that are the run-time class `skb-head` (analysis/skbheads.ts), one entry each: in neither group. */
  skbHead: number;
  /** The typed fallbacks without the typeless buffers they admit (sites, and vmalloc callers only buffers have): what the record types alone admit. */
  typedRecords: { median: number; p90: number };
  /** Typeless buffer sites some typed fallback admits, of the buffer sites the policy knows (the rest are confined: summary/escape.ts). */
  buffers: { admitted: number; total: number };
  seconds: number;
}
function figures(policy: Policy, summary: AnalysisSummary, seconds: number): Figures {
  const sizes = policy.accesses
    .filter((a) => !a.legal.any)
    .map((a) => legalSetSize(a.legal))
    .sort((a, b) => a - b);
  let unknownExternal = 0,
    unknownArguments = 0,
    contextLost = 0;
  for (const a of policy.accesses)
    for (const x of a.legal.reasons)
      if (x.kind === 'unknown-external') {
        unknownExternal++;
        if (x.detail.startsWith('argument ')) unknownArguments++;
      } else if (x.kind === 'context-lost') contextLost++;
  const group = (typed: boolean): Figures['named'] => {
    const g = policy.accesses
      .filter((a) => !a.legal.any && !a.legal.classes && !!a.legal.foreign === typed)
      .map((a) => legalSetSize(a.legal))
      .sort((a, b) => a - b);
    return { n: g.length, median: percentile(g, 0.5), p90: percentile(g, 0.9) };
  };
  const buffers = new Set(policy.allocationSites.filter((x) => x.type.kind === 'buffer').map((x) => x.id));
  // a vmalloc'd buffer is named by its caller: the callers only buffers have
  const vmallocCallers = (buffer: boolean): Set<string> =>
    new Set(
      policy.allocationSites
        .filter((x) => (x.kind === 'vmalloc' || x.kind === 'slab-or-vmalloc') && (x.type.kind === 'buffer') === buffer)
        .map((x) => x.caller),
    );
  const typedCallers = vmallocCallers(false);
  const bufferCallers = new Set([...vmallocCallers(true)].filter((c) => !typedCallers.has(c)));
  const admitted = new Set<string>();
  const records: number[] = [];
  for (const a of policy.accesses) {
    if (!a.legal.foreign || a.legal.any) continue;
    const ids = [...a.legal.slabSites, ...a.legal.buddySites].filter((id) => buffers.has(id));
    for (const id of ids) admitted.add(id);
    records.push(legalSetSize(a.legal) - ids.length - a.legal.vmallocCallers.filter((c) => bufferCallers.has(c)).length);
  }
  records.sort((a, b) => a - b);
  return {
    typedRecords: { median: percentile(records, 0.5), p90: percentile(records, 0.9) },
    buffers: { admitted: admitted.size, total: buffers.size },
    median: percentile(sizes, 0.5),
    p90: percentile(sizes, 0.9),
    max: sizes.at(-1) ?? 0,
    any: summary.anyShare,
    unknownExternal,
    unknownArguments,
    contextLost,
    named: group(false),
    typed: group(true),
    skbHead: policy.accesses.filter((a) => a.legal.classes?.includes('skb-head')).length,
    seconds,
  };
}
async function run(context: TuSummary[], closedWorld = false): Promise<Figures> {
  const t = performance.now();
  const { policy, summary } = await analyzeWithSummaries(compartment, context, { sourcePrefixes: ['net/ipv6/'], closedWorld });
  return figures(policy, summary, (performance.now() - t) / 1e3);
}
const show = (name: string, n: number, f: Figures): void => {
  console.log(
    `  ${name.padEnd(24)} ${String(n).padStart(5)} TUs  median ${f.median}, p90 ${f.p90}, max ${f.max}; widened to any ${(100 * f.any).toFixed(2)} %; unknown-external ${f.unknownExternal} (${f.unknownArguments} arguments), context-lost ${f.contextLost}; ${f.seconds.toFixed(1)} s`,
  );
  console.log(
    `  ${''.padEnd(24)}        sets naming objects ${f.named.n} (median ${f.named.median}, p90 ${f.named.p90}), skb heads ${f.skbHead}, typed fallbacks ${f.typed.n} (median ${f.typed.median}, p90 ${f.typed.p90}; without the typeless buffers ${f.typedRecords.median} / ${f.typedRecords.p90}; typeless buffers admitted ${f.buffers.admitted} of ${f.buffers.total})`,
  );
};

const isCore = (s: TuSummary): boolean => s.module.startsWith('net/core/');
const core = r.summaries.filter(isCore);
const own = new Set(compartment);
const context = r.summaries.filter((s) => !own.has(s.file));
console.log('net/ipv6 legal sets (compartment read in full, context as summaries):');
const fCore = await run(core);
show('net/core context', core.length, fCore);
// the compartment's own summaries go along: not context, they let the whole-program matching find
// which of its functions the context's calls reach (and with what arguments)
const fAll = context.length === core.length ? fCore : await run(r.summaries);
let fFinal = fAll;
if (fAll !== fCore) {
  show('whole-kernel context', context.length, fAll);
  // closed world: the kernel as built is every caller of net/ipv6 (no out-of-tree module)
  fFinal = await run(r.summaries, true);
  show('closed world', context.length, fFinal);
  console.log(
    `  unknown-external: ${fAll.unknownExternal} (${fAll.unknownArguments} arguments) open world, ${fFinal.unknownExternal} (${fFinal.unknownArguments} arguments) closed world; context-lost ${fFinal.contextLost} (code with IR that loses the pointer itself)`,
  );
  // why the typeless buffers a typed fallback may admit escape: each one's first rule (summary/escape.ts)
  const closure = new EscapeClosure(r.summaries, true);
  const buffers = r.summaries.flatMap((s) => s.sites.filter((x) => x.type.kind === 'buffer').map((x) => `site:${x.id}`));
  const reasons = new Map<string, number>();
  for (const b of buffers) {
    const why = closure.because.get(b);
    if (why === undefined) continue;
    const rule = /^escapes in /.test(why)
      ? 'lost in its own TU'
      : /^stored into /.test(why)
        ? 'stored where another TU loads'
        : /^returned by /.test(why)
          ? 'returned by an exported function'
          : /^held by /.test(why)
            ? 'held by an object passed on'
            : /^with /.test(why)
              ? 'with an escaping object'
              : 'passed where nothing follows';
    reasons.set(rule, (reasons.get(rule) ?? 0) + 1);
  }
  console.log(
    `  typeless buffers escaping the context's analysis: ${[...reasons.values()].reduce((a, b) => a + b, 0)} of ${buffers.length} (${[
      ...reasons,
    ]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})`,
  );
} else console.log('  (the whole context is net/core: no whole-kernel IR)');

const cpu = process.cpuUsage();
const rss = process.resourceUsage().maxRSS / 1024;
console.log(
  `whole kernel: ${r.summaries.length} TUs, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} CPU-s, peak RSS ${rss.toFixed(0)} MB, widened-to-any ${(100 * fFinal.any).toFixed(1)} %${fFinal !== fAll ? ' (closed world)' : ''}`,
);
