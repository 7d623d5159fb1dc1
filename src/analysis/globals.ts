// Owns the policy's table of global variables (Policy.globals, issue 11 finding 8): for every
// global a legal set names (`globals`, `percpuGlobals`), its symbol, the module defining it and its
// size from the IR value type — what the data layout makes of the type debug info describes, so
// DWARF's byte size — so that the run time bounds a write to [address, address + size) instead of
// the distance to the next kallsyms symbol. Which of several same-named statics is this TU's is
// the mapper's part (the object's section layout, src/binary/global-layout.ts).
import type { Access, GlobalInfo } from '../policy/schema.js';
import { sizeOfType } from './layout.js';
import { Program } from './program.js';

/** The size of a type, 0 when the layout cannot give one (opaque, `[0 x i8]`, a scalable vector). */
function sizeOrZero(t: Parameters<typeof sizeOfType>[0]): number {
  try {
    const n = sizeOfType(t);
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

/** The {@link GlobalInfo} of every global the accesses' legal sets name, sorted by name. */
export function globalTable(program: Program, accesses: readonly Access[]): GlobalInfo[] {
  const named = new Set<string>();
  for (const a of accesses) {
    for (const g of a.legal.globals) named.add(g);
    for (const g of a.legal.percpuGlobals ?? []) named.add(g);
  }
  const byKey = new Map<string, GlobalInfo>();
  for (const { module, value: g } of program.globalVariables()) {
    const key = Program.keyOf(module, g);
    if (!named.has(key) || byKey.has(key)) continue;
    const size = sizeOrZero(g.valueType);
    byKey.set(key, {
      name: key,
      symbol: g.name,
      ...(g.isDeclaration ? {} : { module: module.name }),
      ...(size ? { size } : {}),
      ...((g.section ?? '').startsWith('.data..percpu') ? { percpu: true } : {}),
    });
  }
  return [...byKey.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}
