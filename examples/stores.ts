// Example: list every store of one function with its source location and the
// chain of functions it was inlined through.
//   node dist/examples/stores.js <file.ll[.gz]> <function>
import { locationChain, readModule } from 'kcompart';

const [file, fnName] = process.argv.slice(2);
if (!file || !fnName) {
  console.error('usage: stores <file.ll> <function>');
  process.exit(2);
}
const m = await readModule(file);
const fn = m.getFunction(fnName);
if (!fn?.isDefinition) {
  console.error(`${file}: no defined function @${fnName}`);
  process.exit(1);
}
let n = 0;
for (const block of fn.blocks) {
  for (const inst of block.instructions) {
    if (inst.opcode !== 'store') continue;
    n++;
    const what = `store ${inst.value.type.kind === 'pointer' ? 'ptr' : inst.value.type.kind === 'int' ? `i${inst.value.type.bits}` : inst.value.type.kind}`;
    const target =
      inst.pointer.kind === 'instruction' || inst.pointer.kind === 'argument'
        ? `%${inst.pointer.name}`
        : inst.pointer.kind === 'global'
          ? `@${inst.pointer.name}`
          : inst.pointer.kind;
    console.log(`${block.name}: ${what} -> ${target}${inst.volatile ? ' (volatile)' : ''}`);
    if (!inst.debugLoc) {
      console.log('    (no debug location)');
      continue;
    }
    locationChain(inst.debugLoc).forEach((f, i) => {
      console.log(`    ${i === 0 ? 'at' : 'inlined into'} ${f.function ?? '?'} ${f.file ?? '?'}:${f.line}:${f.column}`);
    });
  }
}
console.log(`${n} stores in @${fnName}`);
