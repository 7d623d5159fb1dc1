// The binary-mapping benchmark (`npm run bench:map`, issue 4): (a) maps an
// IR-level policy (a JSON path, or net/ipv6/route.ll analyzed alone) against
// the net/ipv6 corpus objects and prints mapped / exact / ambiguous / unmapped
// and statically-safe counts; (b) the debugify ground truth: corpus IR with
// its debug info stripped, `opt -passes=debugify` (each IR instruction its own
// line), `llc -O2` with the kernel's code model, then every IR store mapped
// against the object and compared with the instructions whose line-table row
// carries the store's line and that write memory: precision and recall.
//
// With --inline, opt inlines further after debugify, so stores carry inline
// chains the mapper must match (stores whose line has several copies in one
// function are skipped: the line alone cannot tell the copies apart).
//
// Usage: node dist/scripts/map-corpus.js [policy.json] [--files N | --all] [--inline] [--no-policy] [--no-debugify]

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { framesOf } from '../src/analysis/sites.js';
import { analyze, writesOf } from '../src/analysis/index.js';
import { CodeDecoder, ObjectIndex, mapSitesToAddresses, readElf, readLineTable, type MapStats } from '../src/binary/index.js';
import { AllocaInst, GetElementPtrInst, parseModule, type Value } from '../src/ir/index.js';
import { POLICY_VERSION, type Access, type LegalSet, type Policy } from '../src/policy/schema.js';
import { emptyLegalSet, readPolicy } from '../src/policy/index.js';
import { corpusDir, repoRoot } from './lib/paths.js';

const ROOT = repoRoot();
const CORPUS = corpusDir(ROOT);
const IPV6 = join(CORPUS, 'linux-6.1', 'net', 'ipv6');
const CACHE = resolve(ROOT, '.cache', 'debugify');
const OPT = process.env['LLVM_OPT'] ?? 'opt-19';
const LLC = process.env['LLVM_LLC'] ?? 'llc-19';

const EMPTY_LEGAL: LegalSet = emptyLegalSet();

function pct(n: number, d: number): string {
  return d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(2)}%`;
}

function printStats(label: string, s: MapStats): void {
  console.log(
    `${label}: ${s.accesses} accesses: mapped ${s.mapped} (${pct(s.mapped, s.accesses)}), exact ${s.exact}, ambiguous ${s.ambiguous}, unmapped ${s.unmapped}`,
  );
  const r = Object.entries(s.unmappedReasons)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  if (r) console.log(`  unmapped: ${r}`);
  console.log(`  mapped by fallback: another column ${s.byTier.line}, rowless instructions of the inlined instance ${s.byTier.rowless}`);
  console.log(
    `  ${s.sites} sites, statically safe ${s.staticallySafeSites} (rsp ${s.safeBy.rsp}, rbp ${s.safeBy.rbp}, global ${s.safeBy.global}), run-time checks ${s.checkedSites}; accesses all safe ${s.staticallySafeAccesses}`,
  );
}

/** Part (a): a policy against the real net/ipv6 objects. */
async function mapPolicy(policyPath: string | undefined): Promise<void> {
  const t0 = performance.now();
  const policy: Policy =
    policyPath !== undefined
      ? await readPolicy(policyPath)
      : (await analyze([join(IPV6, 'route.ll')], [], { sourcePrefixes: ['net/ipv6/'] })).policy;
  const objects = readdirSync(IPV6)
    .filter((f) => f.endsWith('.o'))
    .sort()
    .map((f) => {
      const path = join(IPV6, f);
      return { path: `net/ipv6/${f}`, elf: readElf(readFileSync(path), path) };
    });
  const t1 = performance.now();
  const { stats } = mapSitesToAddresses(policy, objects);
  const t2 = performance.now();
  printStats(`policy ${policyPath ?? 'route.ll (analyzed alone)'} vs ${objects.length} net/ipv6 objects`, stats);
  console.log(`  read ${((t1 - t0) / 1e3).toFixed(2)} s, map ${((t2 - t1) / 1e3).toFixed(2)} s`);
}

/**
 * Builds the debugified object of one corpus `.ll` (in .cache/debugify). With
 * `inline`, `opt -passes=cgscc(inline)` runs after debugify: stores of inlined
 * callees then carry inlinedAt chains, and the mapper must match them frame by frame.
 */
export function debugify(ll: string, cache = CACHE, inline = false): { ll: string; obj: string } {
  mkdirSync(cache, { recursive: true });
  const name = basename(ll, '.ll') + (inline ? '.inl' : '');
  const strip = join(cache, `${name}.strip.ll`);
  const dbg = join(cache, `${name}.dbg.ll`);
  const obj = join(cache, `${name}.dbg.o`);
  execFileSync(OPT, ['-strip-debug', ll, '-S', '-o', strip]);
  execFileSync(OPT, ['-passes=debugify', strip, '-S', '-o', dbg]);
  // inline mode: inline further after debugify, so stores carry inlinedAt chains of debugify lines
  if (inline) execFileSync(OPT, ['-passes=cgscc(inline)', '-inline-threshold=300', dbg, '-S', '-o', dbg]);
  execFileSync(LLC, [
    '-O2',
    '-filetype=obj',
    '-mtriple=x86_64-unknown-linux-gnu',
    '-relocation-model=static',
    '-code-model=kernel',
    dbg,
    '-o',
    obj,
  ]);
  return { ll: dbg, obj };
}

/** Precision and recall of the mapper on the stores of one debugified module. */
export interface DebugifyScore {
  readonly file: string;
  /** Stores scored (one copy of their debugify line in their function). */
  readonly stores: number;
  /** Of those, stores with an inline chain (inline mode). */
  readonly inlined: number;
  /** Stores skipped: their line has several copies in one function (inline mode). */
  readonly duplicates: number;
  /** Stores with at least one true instruction. */
  readonly storesWithTruth: number;
  readonly truth: number;
  readonly mapped: number;
  readonly correct: number;
  /**
   * Mapped sites at a constant rsp offset for a store whose IR pointer is not
   * an alloca: likely spills under the store's row (counted true by the
   * line-table truth), or stack-passed arguments — a bound on its leniency.
   */
  readonly spillSuspects: number;
}

/** Maps every IR store of a debugified module against its object and scores it (part b). */
export function scoreDebugified(dbgLl: string, obj: string): DebugifyScore {
  const m = parseModule(readFileSync(dbgLl));
  const accesses: Access[] = [];
  /** Per access: does the IR store write through an alloca (after GEPs)? */
  const onStack: boolean[] = [];
  let duplicates = 0;
  for (const f of m.functions) {
    if (!f.isDefinition) continue;
    const ws = writesOf(f).filter((w) => w.op === 'store' && w.inst.debugLoc !== undefined);
    // a debugify line inlined twice into one function: the line alone cannot tell its copies apart (skipped)
    const perLine = new Map<number, number>();
    for (const w of ws) perLine.set(w.inst.debugLoc!.line, (perLine.get(w.inst.debugLoc!.line) ?? 0) + 1);
    for (const w of ws) {
      if (perLine.get(w.inst.debugLoc!.line)! > 1) {
        duplicates++;
        continue;
      }
      accesses.push({
        id: `${m.sourceFilename ?? ''}:${f.name}:${w.index}`,
        module: m.sourceFilename ?? '',
        function: f.name,
        op: 'store',
        ...(w.width !== undefined ? { width: w.width } : {}),
        location: framesOf(w.inst.debugLoc),
        legal: EMPTY_LEGAL,
      });
      let ptr: Value = w.pointer;
      for (let d = 0; d < 16 && ptr instanceof GetElementPtrInst; d++) ptr = ptr.pointer;
      onStack.push(ptr instanceof AllocaInst);
    }
  }
  const policy: Policy = {
    schema: 'kcompart.policy',
    version: POLICY_VERSION,
    generator: { tool: 'kcompart', version: '0.1.0' },
    compartment: { name: 'debugify', modules: [], context: [], functions: [] },
    allocationSites: [],
    caches: [],
    accesses,
  };
  const elf = readElf(readFileSync(obj), obj);
  // truth: section:offset of every memory-writing instruction, by its function symbol and the line of its row
  const truthByLine = new Map<string, Set<string>>();
  const symbolOf = new Map<string, string>();
  const decoder = new CodeDecoder(elf);
  const writes = new Map<string, Set<number>>();
  try {
    for (const fc of decoder.decodeFunctions()) {
      let s = writes.get(String(fc.section.index));
      if (s === undefined) writes.set(String(fc.section.index), (s = new Set()));
      for (const i of fc.instructions) {
        if (!i.writes.some((w) => w.kind !== 'stack')) continue;
        s.add(i.offset);
        symbolOf.set(`${fc.section.index}:${i.offset}`, fc.symbol.name);
      }
    }
  } finally {
    decoder.dispose();
  }
  for (const p of readLineTable(elf)) {
    for (const seq of p.sequences) {
      if (seq.section === undefined) continue;
      const ws = writes.get(String(seq.section.index)) ?? new Set<number>();
      for (let i = 0; i + 1 < seq.rows.length; i++) {
        const r = seq.rows[i]!;
        const next = seq.rows[i + 1]!;
        if (r.endSequence || r.line === 0 || r.offset === undefined || next.offset === undefined) continue;
        for (let o = r.offset; o < next.offset; o++) {
          if (!ws.has(o)) continue;
          const key = `${symbolOf.get(`${seq.section.index}:${o}`)}\0${r.line}`;
          let t = truthByLine.get(key);
          if (t === undefined) truthByLine.set(key, (t = new Set()));
          t.add(`${seq.section.index}:${o}`);
        }
      }
    }
  }
  const index = new ObjectIndex({ path: obj, elf });
  let truth = 0,
    mapped = 0,
    correct = 0,
    storesWithTruth = 0,
    spillSuspects = 0;
  try {
    const { policy: out } = mapSitesToAddresses(policy, [index], { noStaticElimination: true, orphans: 'none' });
    for (const [k, a] of out.accesses.entries()) {
      // an independent check of precision: a constant rsp offset for a store not through an alloca is likely a spill (or a stack-passed argument)
      for (const b of a.binary ?? [])
        if (b.confidence !== 'unmapped' && b.operand?.base === 'rsp' && b.operand.index === undefined && !onStack[k]) spillSuspects++;
      const t = truthByLine.get(`${a.function}\0${a.location[0]!.line}`) ?? new Set<string>();
      truth += t.size;
      if (t.size > 0) storesWithTruth++;
      for (const b of a.binary ?? []) {
        if (b.confidence === 'unmapped') continue;
        mapped++;
        const sec = elf.sections.find((s) => s.name === b.section);
        const sym = elf.symbols.find((s) => s.name === b.symbol && s.sectionIndex === sec?.index);
        if (sec !== undefined && sym !== undefined && t.has(`${sec.index}:${sym.sectionOffset! + b.offset}`)) correct++;
      }
    }
  } finally {
    index.dispose();
  }
  const inlined = accesses.filter((a) => a.location.length > 1).length;
  return { file: basename(dbgLl), stores: accesses.length, inlined, duplicates, storesWithTruth, truth, mapped, correct, spillSuspects };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const all = args.includes('--all');
  const nIdx = args.indexOf('--files');
  const n = all ? Infinity : nIdx >= 0 ? Number(args[nIdx + 1]) : 5;
  const policyPath = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--files');
  if (!args.includes('--no-policy')) await mapPolicy(policyPath);
  if (args.includes('--no-debugify')) return;
  const lls = readdirSync(IPV6)
    .filter((f) => f.endsWith('.ll'))
    .sort();
  // route.ll first: the file the tests assert a floor on
  const ordered = ['route.ll', ...lls.filter((f) => f !== 'route.ll')].filter((f) => lls.includes(f)).slice(0, n);
  const inline = args.includes('--inline');
  let stores = 0,
    truth = 0,
    mapped = 0,
    correct = 0,
    withTruth = 0,
    inlined = 0,
    duplicates = 0,
    spills = 0;
  const t0 = performance.now();
  for (const f of ordered) {
    const { ll, obj } = debugify(join(IPV6, f), CACHE, inline);
    const s = scoreDebugified(ll, obj);
    stores += s.stores;
    truth += s.truth;
    mapped += s.mapped;
    correct += s.correct;
    withTruth += s.storesWithTruth;
    inlined += s.inlined;
    duplicates += s.duplicates;
    spills += s.spillSuspects;
    console.log(
      `  ${f}: ${s.stores} stores (${s.storesWithTruth} with a writing instruction), truth ${s.truth}, mapped ${s.mapped}, correct ${s.correct}: precision ${pct(s.correct, s.mapped)}, recall ${pct(s.correct, s.truth)}`,
    );
  }
  console.log(
    `debugify${inline ? ' + inlining' : ''} on ${ordered.length} file(s): ${stores} stores (${withTruth} with a writing instruction${inline ? `, ${inlined} inlined, ${duplicates} duplicated copies skipped` : ''}), ${truth} true instructions, ${mapped} mapped, ${correct} correct`,
  );
  console.log(
    `  precision ${pct(correct, mapped)}, recall ${pct(correct, truth)}; mapped rsp writes for stores not through an alloca (spill suspects) ${spills} (${pct(spills, mapped)}) (${((performance.now() - t0) / 1e3).toFixed(1)} s)`,
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
