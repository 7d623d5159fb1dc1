// How far a run-time class "the head buffer of an sk_buff" would take net/ipv6's closed-world legal
// sets (`npm run bench:skb-class`, issue 12): analyzes net/ipv6 with the whole rebuilt tree as
// context (closed world, summaries from the cache `bench:kernel` fills), then finds the writes whose
// pointer comes only from loads of `skb->head` / `skb->data` (a constant-offset GEP of a value debug
// info types `struct sk_buff *`) or from the helpers that return a place in the head. Those writes
// would admit the class alone. It prints what they are now (typed fallbacks, "any") and the
// all-sets median and p90 with one entry for each of them: an upper bound of what the class does to
// the sets, not a policy. The field offsets and helper names are 6.1's.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pointeeOf, signatureTypes, typeName, writesOf } from '../src/analysis/index.js';
import type { Function, Value } from '../src/ir/index.js';
import { isCallBase } from '../src/ir/instructions.js';
import { boundVariables } from '../src/analysis/debugvars.js';
import { calleeOf, originsUntil } from '../src/analysis/flow.js';
import { gepOffset } from '../src/analysis/layout.js';
import { legalSetSize, percentile } from '../src/policy/legal-set.js';
import { expandInputs } from '../src/pipeline.js';
import { analyzeWithSummaries, summarizeProgram } from '../src/summary/index.js';
import { repoRoot } from '../scripts/lib/paths.js';

const TREE = join(repoRoot(), '.cache/kernel/linux-source-6.1');
/** `sk_buff.head` and `sk_buff.data` in 6.1 (x86-64). */
const HEAD_FIELDS = new Set([200, 208]);
/** Functions whose result is a place in an skb's head buffer. */
const HEAD_HELPERS =
  /^(__)?skb_(push|put|put_zero|put_data|pull|network_header|transport_header|mac_header|tail_pointer)$|^pskb_(pull|put)$|^(__)?nlmsg_put$|^(__)?nla_reserve$|^genlmsg_put$/;

if (!existsSync(TREE)) {
  console.error(`bench:skb-class: ${TREE} is missing (bash scripts/kernel/rebuild.sh builds and collects it)`);
  process.exit(1);
}
const files = expandInputs([TREE], 'ir', true);
const compartment = files.filter((f) => relative(TREE, f).startsWith('net/ipv6/'));
const { summaries } = await summarizeProgram(files, { onError: 'collect' });
const { policy, program } = await analyzeWithSummaries(compartment, summaries, { sourcePrefixes: ['net/ipv6/'], closedWorld: true });

const functions = new Map<string, Function>();
for (const fn of program.definedFunctions()) functions.set(`${fn.module.name}:${fn.value.name}`, fn.value);
const bound = new WeakMap<Function, ReturnType<typeof boundVariables>>();
const isSkbPointer = (f: Function, v: Value): boolean => {
  const sig = signatureTypes(f);
  let vars = bound.get(f);
  if (!vars) bound.set(f, (vars = boundVariables(f)));
  const t = v.kind === 'argument' ? sig?.[f.arguments.indexOf(v) + 1] : vars.get(v)?.[0]?.type;
  const p = pointeeOf(t ?? null);
  return !!p && typeName(p) === 'struct sk_buff';
};
/** A load of `skb->head` / `skb->data`, or a call of a helper returning a place in the head. */
const headRoot = (f: Function, v: Value): boolean => {
  if (v.kind !== 'instruction') return false;
  if (isCallBase(v)) {
    const callee = calleeOf(v);
    return !!callee && HEAD_HELPERS.test(callee.name);
  }
  if (v.opcode !== 'load') return false;
  const g = v.operands[0]!;
  return (
    g.kind === 'instruction' &&
    g.opcode === 'getelementptr' &&
    HEAD_FIELDS.has(gepOffset(g.operands, g.sourceElementType)) &&
    isSkbPointer(f, g.operands[0]!)
  );
};

let inHead = 0;
let typed = 0;
let widened = 0;
const before: number[] = [];
const after: number[] = [];
for (const a of policy.accesses) {
  const size = legalSetSize(a.legal);
  const f = functions.get(`${a.module}:${a.function}`);
  const index = Number(/:(\d+)$/.exec(a.id)?.[1]);
  const write = f ? writesOf(f).find((w) => w.index === index) : undefined;
  const roots = f && write ? originsUntil(write.pointer, (v) => headRoot(f, v)) : undefined;
  const head = !!f && !!roots?.length && roots.every((v) => headRoot(f, v));
  if (head) {
    inHead++;
    if (a.legal.any) widened++;
    else if (a.legal.foreign) typed++;
  }
  if (!a.legal.any) before.push(size);
  if (!a.legal.any || head) after.push(head ? 1 : size);
}
before.sort((x, y) => x - y);
after.sort((x, y) => x - y);
const anyNow = policy.accesses.filter((a) => a.legal.any).length;
const typedNow = policy.accesses.filter((a) => !a.legal.any && a.legal.foreign).length;
const pct = (n: number): string => `${((100 * n) / policy.accesses.length).toFixed(2)} %`;
console.log(
  `skb-head class (closed world, net/ipv6): ${inHead} of ${policy.accesses.length} writes reach only skb heads: ${typed} of ${typedNow} typed fallbacks, ${widened} of ${anyNow} widened to any (${pct(anyNow)} -> ${pct(anyNow - widened)}); all sets median ${percentile(before, 0.5)} -> ${percentile(after, 0.5)}, p90 ${percentile(before, 0.9)} -> ${percentile(after, 0.9)}`,
);
