// Example (the README's main job for now): read an IR file and print what it
// holds — functions, globals, types, instructions, stores and direct calls.
//   node dist/examples/summary.js <file.ll[.gz]>
import { readModule, summarizeModule } from 'kcompart/ir';

const file = process.argv[2];
if (!file) {
  console.error('usage: summary <file.ll>');
  process.exit(2);
}
const t0 = performance.now();
const m = await readModule(file);
const ms = performance.now() - t0;
const s = summarizeModule(m);
const t = s.totals;
console.log(`${file} (source ${s.source}, ${m.targetTriple ?? 'no triple'}), read in ${ms.toFixed(1)} ms`);
console.log(`  functions: ${t.defined} defined, ${t.declared} declared; globals: ${t.globals}; aliases: ${t.aliases}`);
console.log(
  `  struct types: ${t.namedStructs}; instructions: ${t.instructions}; debug records: ${t.debugRecords}; named metadata: ${t.namedMetadata}`,
);
console.log('');
console.log('  function                              blocks  insts  stores  calls');
for (const f of s.functions) {
  console.log(
    `  ${f.name.padEnd(36)} ${String(f.blocks).padStart(7)} ${String(f.instructions).padStart(6)} ${String(f.stores.length).padStart(7)} ${String(f.calls.length).padStart(6)}`,
  );
}
const withChains = s.functions.flatMap((f) => f.stores.filter((l) => l && l.length > 2).map(() => f.name));
console.log('');
console.log(`  ${withChains.length} stores come from inlined code (their locations carry an inlinedAt chain)`);
