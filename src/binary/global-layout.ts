// Owns where the compartment's static globals sit in their object files (issue 11 finding 8):
// for each static global of the policy's table (Policy.globals), and each static symbol a
// relocated displacement names, the object and section defining it and its named neighbours in
// that section with their distance from it. The linker keeps an input section whole, so in the
// running kernel this TU's symbol of that name is the kallsyms candidate with those neighbours at
// those distances; the loader (runtime/loader/globals.c) picks it among same-named statics of
// other TUs, or says it cannot and widens to all of them. The static functions that probes attach
// to get the same layout (Policy.functions), so the loader attaches by address where kallsyms
// repeats a function's name (runtime/loader/place.c).
import { STB_LOCAL, STT_FILE, STT_FUNC, STT_SECTION } from './elf/constants.js';
import type { ElfSymbol } from './elf/symbols.js';
import type { ObjectIndex } from './object-index.js';
import type { Access, AllocationSite, FunctionLayout, GlobalInfo, IndirectCall, Policy } from '../policy/schema.js';

/** Neighbours kept per global: enough to tell TUs apart, few enough for the seed. */
export const MAX_NEIGHBOURS = 8;

function stem(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.(ll|ll\.gz|o|ko|c)$/, '');
}

/** The named, located symbols of one section of an object (no section / file symbols, no `.L` labels). */
function sectionSymbols(o: Pick<ObjectIndex, 'elf'>, section: number): ElfSymbol[] {
  return o.elf.symbols.filter(
    (s) =>
      s.sectionIndex === section &&
      s.sectionOffset !== undefined &&
      s.name !== '' &&
      !s.name.startsWith('.L') &&
      s.type !== STT_SECTION &&
      s.type !== STT_FILE,
  );
}

/** The layout of `symbol` in object `o`: its section and nearest named neighbours, or undefined when `o` does not define it once. */
export function layoutOf(
  o: Pick<ObjectIndex, 'path' | 'elf'>,
  symbol: string,
): Pick<GlobalInfo, 'object' | 'section' | 'neighbours'> | undefined {
  const own = o.elf.symbols.filter(
    (s) => s.name === symbol && s.sectionOffset !== undefined && s.type !== STT_SECTION && s.type !== STT_FILE,
  );
  if (own.length !== 1) return undefined;
  const sym = own[0]!;
  const at = sym.sectionOffset!;
  const neighbours = sectionSymbols(o, sym.sectionIndex)
    .filter((s) => s.name !== symbol)
    .map((s) => ({ symbol: s.name, delta: s.sectionOffset! - at }))
    .sort((x, y) => Math.abs(x.delta) - Math.abs(y.delta) || (x.symbol < y.symbol ? -1 : 1))
    .slice(0, MAX_NEIGHBOURS)
    .sort((x, y) => x.delta - y.delta);
  return { object: o.path, section: o.elf.sections[sym.sectionIndex]?.name ?? '', neighbours };
}

/** `sym+0x10` → `sym`. */
function targetSymbol(target: string): string {
  const m = /^(.*?)([+-])(0x[0-9a-f]+|\d+)$/i.exec(target);
  return m && m[1] !== '' ? m[1]! : target;
}

/**
 * The policy's global table with the layout of its static globals (object, section, neighbours), plus an
 * entry for every static symbol a relocated displacement names (spelt `module::symbol`).
 */
export function withGlobalLayout(policy: Policy, accesses: readonly Access[], objects: readonly ObjectIndex[]): GlobalInfo[] {
  // the object of each module: where its accesses were mapped
  const objectOf = new Map<string, ObjectIndex>();
  const byPath = new Map(objects.map((o) => [o.path, o]));
  for (const a of accesses) {
    if (objectOf.has(a.module)) continue;
    const b = a.binary?.find((x) => x.confidence !== 'unmapped' && byPath.has(x.object));
    if (b) objectOf.set(a.module, byPath.get(b.object)!);
  }
  const moduleObject = (module: string): ObjectIndex | undefined =>
    objectOf.get(module) ?? objects.find((o) => stem(o.path) === stem(module));
  const table = new Map<string, GlobalInfo>();
  for (const g of policy.globals ?? []) {
    const o = g.name.includes('::') && g.module !== undefined ? moduleObject(g.module) : undefined;
    const layout = o ? layoutOf(o, g.symbol) : undefined;
    table.set(g.name, layout ? { ...g, ...layout } : g);
  }
  for (const a of accesses) {
    for (const b of a.binary ?? []) {
      const t = b.operand?.displacementTarget;
      const o = byPath.get(b.object);
      if (t === undefined || o === undefined) continue;
      const symbol = targetSymbol(t);
      const local = o.elf.symbols.some((s) => s.name === symbol && s.binding === STB_LOCAL && s.type !== STT_SECTION);
      const name = local ? `${a.module}::${symbol}` : symbol;
      if (table.has(name)) continue;
      const layout = local ? layoutOf(o, symbol) : undefined;
      const size = o.resolveTarget(symbol)?.size;
      table.set(name, { name, symbol, ...(local ? { module: a.module } : {}), ...(size ? { size } : {}), ...(layout ?? {}) });
    }
  }
  return [...table.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

/**
 * The layout of every static function that a write site, an allocation probe or an indirect-call probe
 * attaches to (`Policy.functions`), once per (object, symbol), sorted. A global function needs none: the
 * linker lets one global of a name into vmlinux, and kallsyms then repeats it only beside statics, which
 * the loader tells apart by their neighbours from the static side.
 */
export function functionLayouts(
  accesses: readonly Access[],
  allocationSites: readonly AllocationSite[],
  indirectCalls: readonly IndirectCall[],
  objects: readonly ObjectIndex[],
): FunctionLayout[] {
  const byPath = new Map(objects.map((o) => [o.path, o]));
  const table = new Map<string, FunctionLayout>();
  const add = (object: string, symbol: string): void => {
    const key = `${object}\0${symbol}`;
    if (table.has(key)) return;
    const o = byPath.get(object);
    if (o === undefined) return;
    const local = o.elf.symbols.some((s) => s.name === symbol && s.binding === STB_LOCAL && s.type === STT_FUNC);
    const layout = local ? layoutOf(o, symbol) : undefined;
    if (layout?.object === undefined || layout.neighbours === undefined || layout.neighbours.length === 0) return;
    table.set(key, { object: layout.object, symbol, section: layout.section ?? '', neighbours: layout.neighbours });
  };
  for (const a of accesses) for (const b of a.binary ?? []) if (b.confidence !== 'unmapped') add(b.object, b.symbol);
  for (const s of allocationSites) for (const p of s.probes ?? []) if (p.confidence !== 'unmapped') add(p.object, p.symbol);
  for (const c of indirectCalls) for (const b of c.binary ?? []) if (b.confidence !== 'unmapped') add(b.object, b.symbol);
  return [...table.values()].sort((x, y) =>
    x.symbol < y.symbol ? -1 : x.symbol > y.symbol ? 1 : x.object < y.object ? -1 : x.object > y.object ? 1 : 0,
  );
}
