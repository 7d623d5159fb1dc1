// Example: the whole-program call graph from per-TU summaries, as a
// @dagrejs/graphlib Graph. Summarizes the given .ll files on every core
// (cached under .cache/summaries by content hash, so a second run only reads
// the cache), builds the graph, and prints one function's callees — direct
// calls, and the targets of its indirect calls with how each was found — and
// the graph's size.
//   node dist/examples/callgraph.js [function] [file.ll …]
import { join } from 'node:path';
import { alg } from '@dagrejs/graphlib';
import { buildCallGraph, type CallGraphEdge, summarizeProgram } from 'kcompart';

const corpus = join(import.meta.dirname, '../../../shared/corpus/linux-6.1/net');
const [fn = 'dst_destroy', ...given] = process.argv.slice(2);
const files = given.length ? given : ['ipv6/route.ll', 'core/dst.ll'].map((f) => join(corpus, f));

const { summaries } = await summarizeProgram(files);
const { graph, stats } = buildCallGraph(summaries);
console.log(
  `${stats.nodes} functions, ${stats.directEdges} direct and ${stats.indirectEdges} indirect edges (${stats.indirectCalls} indirect calls)`,
);
for (const to of (graph.successors(fn) ?? []).sort()) {
  const e = graph.edge(fn, to) as CallGraphEdge;
  console.log(`  ${fn} -> ${to}${e.kind === 'indirect' ? `  (indirect, by ${e.via})` : ''}`);
}
// graphlib's algorithms apply as they are: what the function may reach, transitively
const reach = alg.dijkstra(graph, fn);
console.log(`${fn} reaches ${Object.values(reach).filter((d) => d.distance !== Number.POSITIVE_INFINITY).length - 1} functions`);
