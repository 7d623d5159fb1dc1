// The attack matrix (`npm run bench:attack -- kcdemo`, DESIGN.md §5): the
// compartment's policy enforced in the corpus kernel under qemu, then, for
// every machine write site and every exploit target found live in the guest
// (the harness task's struct cred, init_cred, modprobe_path, core_pattern, a
// task_struct, a page-table page, another task's stack, foreign objects that
// reuse a freed compartment object in its kmalloc cache — a msg_msg, a
// pipe_buffer array, a seq_operations —, a freed object, a foreign vmalloc
// area, the struct page of a text page, text, rodata, the direct-map alias of
// kernel data, the run time's own phase flag, a packet's head buffer), the
// real checker's verdict with the live maps (the loader's --matrix: kc_matrix
// through BPF_PROG_TEST_RUN) against the truth of the policy (legalSetAdmits),
// by target and by the kind of legal set each site checks (named memory, typed
// fallback, the skb-head class, any).
// Machine sites without a program (legal set "any", unmapped, no operand,
// refused) allow every target and have their own column; sites at a fixed
// address (constant stack offsets, rip-relative globals) cannot be aimed and
// are left out, as are sites in .init.text (freed before the policy loads). Then the injected writes: kcdemo's `poke` from one
// compartment site into the harness task's own cred (under --on-violation
// kill: the task never sees uid 0), modprobe_path, the foreign msg_msg
// neighbour, a freed object and the run time's own phase flag; and issue 11's
// checker-fidelity writes (kcdemo's kcfid_* commands): a memcpy overflow with
// the attacker's length, a rep stos past an object's end, an 8-byte store
// straddling an object's end, a gs-relative write past its per-cpu variable;
// each reported with its site, region and owner.
//
//   node dist/scripts/e2e/attack.js [kcdemo|ipv6|ipv6-kernel] [--json FILE] [--verbose]
// (ipv6: the matrix only; kcdemo is loaded beside net/ipv6 for its targets and holes. ipv6-kernel:
// the same with the whole-kernel, closed-world policy of `e2e ipv6-kernel`.)
// Exit 1 when a write outside a legal set passes, or an injected write is not reported.

import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  emptyLegalSet,
  INIT_SECTION,
  legalSetAdmits,
  type Access,
  type LegalSet,
  type MemoryOwner,
  type Policy,
} from '../../src/policy/index.js';
import { unionLegal } from '../../src/emit/index.js';
import { repoRoot } from '../lib/paths.js';
import { buildKcdemo, runScript } from './kcdemo.js';
import { ipv6, ipv6Kernel, kcdemo, printStalls, runE2E, type Compartment, type E2EReport } from './run.js';

const ROOT = repoRoot();

/** The byte offset of struct cred's uid in the corpus kernel (vmlinux.h: atomic_long_t usage, then kuid_t uid). */
function credUidOffset(): number {
  const h = readFileSync(join(ROOT, '.cache', 'vmlinux-6.1.h'), 'utf8');
  const m = /^struct cred \{\n\t(atomic_t|atomic_long_t) usage;\n\tkuid_t uid;/m.exec(h);
  if (!m) throw new Error('vmlinux-6.1.h: struct cred does not start with usage, uid');
  return m[1] === 'atomic_long_t' ? 8 : 4;
}

/** The guest's part: targets, the matrix (SIGHUP to the loader), the injected writes (kcdemo's poke, when kcdemo is the compartment). Sourced by policy-guest.sh. */
function attackScript(uidOffset: number, inject: boolean): string {
  return `#!/bin/sh
# the attack matrix's targets, found live (LABEL ADDR [OWNER])
T=/tmp/targets.txt
: > $T
# real addresses in /proc/vmallocinfo (%pK) for root; the harness task (uid 1000) opens
# /dev/kcdemo and reads its own cred's address back from the kernel log
echo 1 > /proc/sys/kernel/kptr_restrict
echo 0 > /proc/sys/kernel/dmesg_restrict
chmod 755 / /dev
chmod 666 /dev/kcdemo
ks() { awk -v s="$1" '$3 == s { print $1; exit }' /proc/kallsyms; }
for s in modprobe_path core_pattern init_cred _stext linux_banner; do a=$(ks $s); [ -n "$a" ] && echo "$s $a" >> $T; done
/payload/attackhelp msg || return 1
/payload/attackhelp freed || return 1
/payload/attackhelp hold-pipe > /tmp/pipe.out 2>&1 & PIPE=$!
/payload/attackhelp hold-seq > /tmp/seq.out 2>&1 & SEQ=$!
sleep 1
echo targets > /dev/kcdemo || return 1
dmesg | sed -n 's/.*kcdemo: target \\([a-z_]*\\) \\([0-9a-f]*\\)$/\\1 \\2/p' | tail -7 >> $T
dmesg | sed -n 's/.*kcdemo: hole \\([0-9a-f]*\\) size \\([0-9]*\\)$/\\2 \\1/p' | while read size addr; do
  case $size in 64) echo "uaf_msg_msg $addr";; 96) echo "freed $addr";; 1024) echo "uaf_pipe_buffer $addr";; 32) echo "uaf_seq_operations $addr";; esac
done >> $T
awk 'NR > 1 && / vmalloc / && !/kcdemo|thread_stack|kernel_clone|bpf_prog|module/ { split($1, r, "-"); sub(/^0x/, "", r[1]); c = $3; sub(/\\+.*/, "", c); print "vmalloc_foreign", r[1], c; exit }' /proc/vmallocinfo >> $T
sed 's/^/KC-TARGET /' $T
kill -HUP "$LOADER"
wait_for '^KC-MATRIX-DONE' 600 || return 1
grep '^KC-MATRIX-DONE' /tmp/loader.log
${inject ? '' : 'kill "$PIPE" "$SEQ" 2>/dev/null\nreturn 0\n'}# the injected writes, each from kcdemo_poke (one compartment site, legal set: its own scratch object)
addr() { awk -v l="$1" '$1 == l { print $2; exit }' $T; }
/payload/attackhelp poke-cred ${uidOffset} 1000; echo "KC-ATTACK-EXIT cred $?"
for t in modprobe_path uaf_msg_msg freed runtime_phase_flag; do
  a=$(addr $t); [ -n "$a" ] || continue
  /payload/attackhelp poke "$a" 0; echo "KC-ATTACK-EXIT $t $?"
done
# the hijacked indirect call (issue 16): kcdemo's ops pointer aimed at commit_creds(&init_cred), then restored
/payload/attackhelp hijack $(ks commit_creds) $(ks init_cred); echo "KC-ATTACK-EXIT hijack $?"
echo "opset 0 $(ks kcdemo_op_sum)" > /dev/kcdemo
# issue 11: the checker-fidelity writes (kcdemo's kcfid_* commands); exit 1 means the module found no
# adjacent neighbour for the object (-EAGAIN) or refused the command: tried again
fid() { # label, command
  n=0
  while :; do
    /payload/attackhelp cmd "$2"; rc=$?
    n=$((n + 1))
    [ "$rc" = 1 ] && [ "$n" -lt 8 ] || break
  done
  echo "KC-ATTACK-EXIT $1 $rc"
}
fid memcpy_overflow "cpy 100"
fid rep_stos_overflow "stos 8"
fid straddle "straddle 60"
fid gs_percpu "pcpu 4 0"
kill "$PIPE" "$SEQ" 2>/dev/null
sleep 1
`;
}

/** kcdemo with the attack payload: no note bug, the loader killing the writer of a violation. */
export function kcdemoAttack(): Compartment {
  const base = kcdemo();
  return {
    name: 'kcdemo-attack',
    build: base.build,
    async payload(dir) {
      await base.payload(dir);
      // the note bug is the e2e run's; here the injected writes are the attacks
      writeFileSync(join(dir, 'bug.sh'), '#!/bin/sh\nexit 0\n');
      await runScript('cc', [
        '-O2',
        '-Wall',
        '-Wextra',
        '-static',
        join(ROOT, 'scripts', 'e2e', 'attackhelp.c'),
        '-o',
        join(dir, 'attackhelp'),
      ]);
      writeFileSync(join(dir, 'attack.sh'), attackScript(credUidOffset(), true));
    },
    loaderArgs: ['--on-violation', 'kill', '--matrix', '/tmp/targets.txt'],
  };
}

/**
 * net/ipv6 with the attack payload: the matrix only (its sites cannot be aimed on demand). kcdemo is
 * loaded beside it for its `targets` and `hole` commands; it is not part of the compartment. With
 * `ipv6Kernel()` as its base, the policy is the whole-kernel, closed-world one (`ipv6-kernel`).
 */
export function ipv6Attack(base: Compartment = ipv6()): Compartment {
  let built: Awaited<ReturnType<typeof buildKcdemo>> | undefined;
  return {
    name: `${base.name}-attack`,
    build: base.build,
    async payload(dir) {
      await base.payload(dir);
      built ??= await buildKcdemo(join(ROOT, '.cache', 'e2e', 'kcdemo'));
      copyFileSync(built.ko, join(dir, 'kcdemo.ko'));
      writeFileSync(
        join(dir, 'prepare.sh'),
        `${readFileSync(join(dir, 'prepare.sh'), 'utf8')}insmod /payload/kcdemo.ko && [ -c /dev/kcdemo ]\n`,
      );
      await runScript('cc', [
        '-O2',
        '-Wall',
        '-Wextra',
        '-static',
        join(ROOT, 'scripts', 'e2e', 'attackhelp.c'),
        '-o',
        join(dir, 'attackhelp'),
      ]);
      writeFileSync(join(dir, 'attack.sh'), attackScript(credUidOffset(), false));
    },
    loaderArgs: ['--matrix', '/tmp/targets.txt'],
  };
}

/** What owns each target, by its label (the truth's side of the matrix). */
export function ownerOf(label: string, extra: string | undefined): MemoryOwner | undefined {
  switch (label) {
    case 'modprobe_path':
    case 'core_pattern':
    case 'init_cred':
      return { region: 'global', symbol: label };
    case '_stext':
      return { region: 'text' };
    case 'linux_banner':
      return { region: 'rodata' };
    case 'cred':
      return { region: 'slab', cache: 'cred_jar', type: 'struct cred' };
    case 'task':
      return { region: 'slab', cache: 'task_struct', type: 'struct task_struct' };
    case 'pgd':
      return { region: 'buddy' };
    case 'other_stack':
      return { region: 'stack', current: false };
    case 'text_page':
      return { region: 'vmemmap' };
    case 'alias':
      return { region: 'alias' };
    // general kmalloc caches (kmalloc-64 or kmalloc-cg-64, as the kernel's config has it): no legal set names one
    case 'uaf_msg_msg':
      return { region: 'slab', cache: 'kmalloc-64', type: 'struct msg_msg' };
    case 'uaf_pipe_buffer':
      return { region: 'slab', cache: 'kmalloc-1k', type: 'struct pipe_buffer' };
    case 'uaf_seq_operations':
      return { region: 'slab', cache: 'kmalloc-32', type: 'struct seq_operations' };
    case 'freed':
      return { region: 'freed' };
    case 'vmalloc_foreign':
      return { region: 'vmalloc', ...(extra ? { caller: extra } : {}) };
    case 'runtime_phase_flag':
      return { region: 'runtime' };
    // a packet's head buffer (kcdemo's alloc_skb: kmalloc'd by __alloc_skb); its allocation site, when
    // the policy has __alloc_skb's IR, is added where the matrix judges it ({@link headSites})
    case 'skb_head':
      return { region: 'slab', cache: 'kmalloc (an skb head)', skbHead: true };
    default:
      return undefined;
  }
}

/** The target classes of the table, in order. */
const CLASSES: readonly [string, readonly string[]][] = [
  ['cred (own, init_cred)', ['cred', 'init_cred']],
  ['modprobe_path, core_pattern', ['modprobe_path', 'core_pattern']],
  ['task_struct', ['task']],
  ['page-table page', ['pgd']],
  ["another task's stack", ['other_stack']],
  ['foreign kmalloc (msg_msg, pipe_buffer, seq_operations)', ['uaf_msg_msg', 'uaf_pipe_buffer', 'uaf_seq_operations']],
  ['freed object', ['freed']],
  ['foreign vmalloc area', ['vmalloc_foreign']],
  ['struct page of kernel text', ['text_page']],
  ['text, rodata, direct-map alias', ['_stext', 'linux_banner', 'alias']],
  ["the run time's own memory", ['runtime_phase_flag']],
  ["a packet's head buffer (not the compartment's)", ['skb_head']],
];

/**
 * The allocation sites of the policy that make an `alloc_skb` head: `__alloc_skb`'s typeless
 * buffers (its inlined `kmalloc_reserve`, tried twice), when the policy has net/core's IR. A set
 * that names one admits the head as that site's object; none, with kcdemo alone.
 */
export function headSites(policy: Policy): string[] {
  return policy.allocationSites.filter((s) => s.type.kind === 'buffer' && s.id.split(':').at(-2) === '__alloc_skb').map((s) => s.id);
}

/**
 * What kind of legal set a machine site checks, as the matrix breaks its answers down: `any`
 * (nothing checked), a typed fallback ("any object that is or contains T", from the rest of the
 * kernel too), the run-time class of skb heads, or sets that name their memory (sites, caches,
 * globals, the stack, per-cpu variables) and nothing else.
 */
export function setKind(legal: LegalSet): string {
  if (legal.any) return 'any (unchecked)';
  if (legal.foreign) return 'typed fallback: any object that is or contains T';
  if (legal.classes?.includes('skb-head')) return 'run-time class: any skb head buffer';
  return 'named memory only (sites, caches, globals, stack)';
}

/** The checker-fidelity injected writes (issue 11): the kcdemo function whose write each one is. */
export const FIDELITY_WRITES: Readonly<Record<string, string>> = {
  memcpy_overflow: 'kcfid_cpy',
  rep_stos_overflow: 'kcfid_stos',
  straddle: 'kcfid_straddle',
  gs_percpu: 'kcfid_pcpu',
};

/**
 * How a machine site is checked. `fallback`: an unmapped access whose function's orphan writes
 * (binary/orphans.ts) carry site programs checking the union of the function's unmapped sets; its
 * write is one of those instructions, so it counts as checked by all of them (caught only when
 * every one reports), with its own legal set as the truth. `function`: an unmapped access whose
 * function has no orphan write: every machine write of the function is claimed by an access (or
 * is a frame write), so its own write, if the compiler kept it, is one of those checked
 * instructions (merged into a neighbour's, or under another line's row); it counts as checked by
 * all the function's programs (caught only when each reports), and stays `unmapped` when one of
 * the function's writes has no program. An unmapped access into a fixed slot of its own frame
 * (`Access.frameSlot`) is `fixed` like a mapped constant address: whichever instruction performs
 * it addresses the frame by a constant, if the compiler kept it in memory at all. `init`: in
 * `.init.text`, freed once its TU is initialized (boot for built-in code), before the policy
 * loads: it cannot run, so it is no door and is not aimed at.
 */
type SiteKind = 'checked' | 'fallback' | 'function' | 'any' | 'unmapped' | 'no-operand' | 'refused' | 'fixed' | 'init';

export interface MachineSite {
  key: string;
  legal: LegalSet;
  kind: SiteKind;
  /** The site program's id, when checked. */
  program?: number;
  /** For a `fallback` site: the programs of the function's orphan writes, any of which may perform it. */
  programs?: number[];
}

const siteKey = (symbol: string, offset: number): string => `${symbol}+0x${offset.toString(16)}`;

/**
 * What a gs-relative instruction may legally write of its set: per-cpu memory only. It writes at
 * this CPU's per-cpu base plus an offset, which the checker bounds to per-cpu variables; a set
 * merged from another access mapped to the same instruction may name other memory (a slab site),
 * which this instruction cannot reach but through an offset no legitimate write takes.
 */
function perCpuPart(legal: LegalSet): LegalSet {
  if (legal.any) return legal;
  return {
    ...emptyLegalSet(),
    percpu: legal.percpu,
    ...(legal.percpuGlobals !== undefined ? { percpuGlobals: legal.percpuGlobals } : {}),
    ...(legal.percpuAreas !== undefined ? { percpuAreas: legal.percpuAreas } : {}),
    reasons: legal.reasons,
  };
}

/**
 * Every machine write site of a mapped policy, with its union legal set and how it is checked. The
 * orphan writes of a fallback access are not sites of their own: they stand for the unmapped
 * accesses they list (`fallback.accesses`), which count once each with their own legal sets; a
 * fallback of a function with no unmapped access stands for no IR write and is left out
 * ({@link fallbackInstructions} counts them).
 */
export function machineSites(
  policy: Policy,
  programs: ReadonlyMap<string, number>,
  refused: ReadonlySet<string>,
  /** The policy was mapped with orphan writes for every function (`--orphans all`, the default): see `function`. */
  orphansOfEveryFunction = false,
): MachineSite[] {
  const byKey = new Map<
    string,
    { legal: LegalSet; accesses: Access[]; fixed: boolean; operand: boolean; gs: boolean; unmapped: boolean; init: boolean }
  >();
  // an unmapped access → the program keys of its function's fallback sites (a covered site: its covering program's)
  const behind = new Map<string, { keys: Set<string>; refused: boolean; init: boolean }>();
  for (const f of policy.accesses) {
    if (f.fallback === undefined || f.fallback.basis !== 'unmapped') continue;
    const keys = new Set<string>();
    // a fallback in init text (a function freed after boot) stands for writes that cannot run any more
    const init = (f.binary ?? []).length > 0 && (f.binary ?? []).every((b) => INIT_SECTION.test(b.section));
    for (const b of f.binary ?? []) {
      if (b.coveredBy !== undefined) keys.add(siteKey(b.coveredBy.symbol, b.coveredBy.offset));
      else if (b.staticallySafe !== true && b.operand?.ripTarget === undefined) keys.add(siteKey(b.symbol, b.offset));
    }
    for (const id of f.fallback.accesses) {
      const cur = behind.get(id) ?? { keys: new Set<string>(), refused: false, init };
      for (const k of keys) cur.keys.add(k);
      behind.set(id, cur);
    }
  }
  for (const a of policy.accesses) {
    if (a.fallback !== undefined) continue;
    for (const b of a.binary ?? [{ object: '', symbol: a.function, offset: -1, section: '', confidence: 'unmapped' as const }]) {
      const key = b.confidence === 'unmapped' ? `unmapped:${a.id}` : siteKey(b.symbol, b.offset);
      const fixed = b.staticallySafe === true || b.operand?.ripTarget !== undefined;
      const cur = byKey.get(key);
      if (cur) {
        cur.legal = unionLegal(cur.legal, a.legal);
        cur.accesses.push(a);
        cur.fixed &&= fixed;
      } else {
        byKey.set(key, {
          legal: a.legal,
          accesses: [a],
          fixed,
          operand: b.operand !== undefined,
          gs: b.operand?.segment === 'gs',
          unmapped: b.confidence === 'unmapped',
          init: b.confidence !== 'unmapped' && INIT_SECTION.test(b.section),
        });
      }
    }
  }
  // each function's machine writes that may be aimed (module\0function → site keys; with programs or not)
  const functionWrites = new Map<string, Set<string>>();
  for (const a of policy.accesses) {
    for (const b of a.binary ?? []) {
      if (b.confidence === 'unmapped' || b.staticallySafe === true || b.operand?.ripTarget !== undefined) continue;
      const fk = `${a.module}\0${a.function}`;
      let ks = functionWrites.get(fk);
      if (!ks) functionWrites.set(fk, (ks = new Set()));
      ks.add(b.coveredBy !== undefined ? siteKey(b.coveredBy.symbol, b.coveredBy.offset) : siteKey(b.symbol, b.offset));
    }
  }
  const out: MachineSite[] = [];
  for (const [key, s] of byKey) {
    const program = programs.get(key);
    let kind: SiteKind;
    let fallbackPrograms: number[] | undefined;
    if (s.init) kind = 'init';
    else if (program !== undefined) kind = refused.has(key) ? 'refused' : 'checked';
    else if (s.legal.any) kind = 'any';
    else if (s.unmapped && s.accesses.every((a) => a.frameSlot === true)) kind = 'fixed';
    else if (s.unmapped) {
      const fb = behind.get(s.accesses[0]!.id);
      const keys = [...(fb?.keys ?? [])];
      if (fb?.init) {
        kind = 'init';
        out.push({ key, legal: s.legal, kind });
        continue;
      }
      const ps = keys.flatMap((k) => (programs.has(k) ? [programs.get(k)!] : []));
      // every instruction that may perform it must carry a program, else it may run unchecked
      if (keys.length > 0 && ps.length === keys.length) {
        kind = keys.some((k) => refused.has(k)) ? 'refused' : 'fallback';
        fallbackPrograms = ps;
      } else if (keys.length === 0 && orphansOfEveryFunction) {
        const a = s.accesses[0]!;
        const own = [...(functionWrites.get(`${a.module}\0${a.function}`) ?? [])];
        const fps = own.flatMap((k) => (programs.has(k) && !refused.has(k) ? [programs.get(k)!] : []));
        if (own.length > 0 && fps.length === own.length) {
          kind = 'function';
          fallbackPrograms = fps;
        } else kind = 'unmapped';
      } else kind = 'unmapped';
    } else if (s.fixed) kind = 'fixed';
    else if (!s.operand) kind = 'no-operand';
    else kind = 'any'; // emitted no program for another reason (e.g. an unsupported register): unchecked
    out.push({
      key,
      legal: s.gs ? perCpuPart(s.legal) : s.legal,
      kind,
      ...(program !== undefined ? { program } : {}),
      ...(fallbackPrograms ? { programs: fallbackPrograms } : {}),
    });
  }
  return out;
}

/** The orphan-write instructions of fallback accesses (binary/orphans.ts): those standing for unmapped accesses, and those of functions with none. */
export function fallbackInstructions(policy: Policy): { forUnmapped: number; functionOnly: number } {
  let forUnmapped = 0;
  let functionOnly = 0;
  for (const a of policy.accesses) {
    if (a.fallback === undefined) continue;
    if (a.fallback.basis === 'unmapped') forUnmapped += a.binary?.length ?? 0;
    else functionOnly += a.binary?.length ?? 0;
  }
  return { forUnmapped, functionOnly };
}

/**
 * The run time's answer for a site on one target: its program's verdict; for a `fallback` site the
 * weakest of its programs' (`pass` when one passes, then `report`), as the write may be at any of them.
 */
export function siteVerdict(s: MachineSite, verdictOf: (program: number) => string | undefined): string | undefined {
  if (s.kind === 'checked' && s.program !== undefined) return verdictOf(s.program);
  if ((s.kind !== 'fallback' && s.kind !== 'function') || s.programs === undefined || s.programs.length === 0) return undefined;
  const answers = s.programs.map(verdictOf);
  if (answers.some((x) => x === undefined)) return undefined;
  if (answers.includes('pass')) return 'pass';
  if (answers.includes('report')) return 'report';
  return answers.every((x) => x === 'violation') ? 'violation' : 'pass';
}

export interface MatrixRow {
  target: string;
  label: string;
  /** Sites whose legal set excludes the target, by how the run time answered. */
  excluded: { caught: number; reported: number; passed: number; unchecked: number };
  /** Sites whose legal set includes it: allowed, or refused (an over-strict check). */
  included: { allowed: number; refusedByChecker: number; unchecked: number };
}

export interface AttackReport {
  compartment: string;
  e2e: Pick<E2EReport, 'ok' | 'problems' | 'attached' | 'countersLegit' | 'legitViolations' | 'stalls'>;
  sites: Record<SiteKind, number>;
  /** The orphan-write sites of fallback accesses ({@link fallbackInstructions}). */
  fallbackInstructions?: { forUnmapped: number; functionOnly: number };
  targets: { label: string; addr: string; extra?: string }[];
  rows: MatrixRow[];
  /** The same answers by the kind of legal set each site checks ({@link setKind}): every fallback's. */
  setKinds: {
    name: string;
    sites: number;
    excluded: number;
    caught: number;
    reported: number;
    included: number;
    allowed: number;
    unchecked: number;
  }[];
  classes: { name: string; excluded: number; caught: number; reported: number; included: number; allowed: number; unchecked: number }[];
  protection: { caught: number; excluded: number; percent: number; allowedInside: number };
  injected: { target: string; reported: boolean; killed: boolean; exit: number | null; event?: string }[];
  credUidSeen: string | null;
  ok: boolean;
  problems: string[];
}

/** Reads the matrix, the targets and the injected writes out of a guest log, and judges them. */
export function judgeAttack(
  compartment: string,
  log: string,
  policy: Policy,
  programs: ReadonlyMap<string, number>,
  e2e: E2EReport,
  inject = true,
): AttackReport {
  const lines = log.split('\n').map((l) => l.trimEnd());
  const problems = [...e2e.problems];
  const targets = lines
    .filter((l) => l.startsWith('KC-TARGET '))
    .map((l) => {
      const [, label, addr, extra] = l.split(/\s+/);
      return { label: label!, addr: addr!, ...(extra ? { extra } : {}) };
    });
  const verdicts = new Map<string, Map<number, { verdict: string; region: string }>>();
  for (const l of lines) {
    const m = /^KC-MATRIX target="([^"]*)" addr=0x[0-9a-f]+ verdict=(\S+) region=(\S+) sites=\d+ ids=([\d,]+)$/.exec(l);
    if (!m) continue;
    let v = verdicts.get(m[1]!);
    if (!v) verdicts.set(m[1]!, (v = new Map()));
    for (const id of m[4]!.split(',')) v.set(Number(id), { verdict: m[2]!, region: m[3]! });
  }
  // the loader adds its own phase flag as a target
  if (verdicts.has('runtime_phase_flag') && !targets.some((t) => t.label === 'runtime_phase_flag')) {
    const at = lines.map((l) => /^KC-MATRIX target="runtime_phase_flag" addr=0x([0-9a-f]+) /.exec(l)?.[1]).find((a) => a !== undefined);
    targets.push({ label: 'runtime_phase_flag', addr: at ?? '?' });
  }
  const refused = new Set<string>();
  for (const l of lines) {
    const m = /^KC-REFUSED \S+ \S+ at "([^"]*)"\+0x([0-9a-f]+):/.exec(l);
    if (m) refused.add(`${m[1]}+0x${m[2]}`);
  }
  // the e2e build maps with the default --orphans all
  const sites = machineSites(policy, programs, refused, true);
  const siteCounts: Record<SiteKind, number> = {
    checked: 0,
    fallback: 0,
    function: 0,
    any: 0,
    unmapped: 0,
    'no-operand': 0,
    refused: 0,
    fixed: 0,
    init: 0,
  };
  for (const s of sites) siteCounts[s.kind]++;
  const aimed = sites.filter((s) => s.kind !== 'fixed' && s.kind !== 'init');
  const rows: MatrixRow[] = [];
  const kinds = new Map<string, AttackReport['setKinds'][number]>();
  for (const s of aimed) {
    const name = setKind(s.legal);
    const k = kinds.get(name) ?? { name, sites: 0, excluded: 0, caught: 0, reported: 0, included: 0, allowed: 0, unchecked: 0 };
    k.sites++;
    kinds.set(name, k);
  }
  const heads = headSites(policy);
  for (const t of targets) {
    const owner = ownerOf(t.label, t.extra);
    if (!owner) continue;
    // a head is the object of the site that allocated it, when the policy names that site
    const owners: MemoryOwner[] =
      owner.region === 'slab' && owner.skbHead === true ? [owner, ...heads.map((site) => ({ ...owner, site }))] : [owner];
    const v = verdicts.get(t.label);
    if (!v) {
      problems.push(`no matrix verdicts for target ${t.label}`);
      continue;
    }
    const row: MatrixRow = {
      target: t.label,
      label: t.label,
      excluded: { caught: 0, reported: 0, passed: 0, unchecked: 0 },
      included: { allowed: 0, refusedByChecker: 0, unchecked: 0 },
    };
    for (const s of aimed) {
      const inside = owners.some((o) => legalSetAdmits(s.legal, o));
      const checked = s.kind === 'checked' || s.kind === 'fallback' || s.kind === 'function';
      const answer = siteVerdict(s, (p) => v.get(p)?.verdict);
      if (checked && answer === undefined)
        problems.push(`no verdict for site program(s) ${s.program ?? s.programs?.join(',')} on ${t.label}`);
      const k = kinds.get(setKind(s.legal))!;
      if (!inside) {
        const outcome = !checked ? 'unchecked' : answer === 'violation' ? 'caught' : answer === 'report' ? 'reported' : 'passed';
        row.excluded[outcome]++;
        k.excluded++;
        if (outcome === 'caught' || outcome === 'reported') k.caught++;
        if (outcome === 'reported') k.reported++;
        if (outcome === 'unchecked') k.unchecked++;
      } else {
        const outcome = !checked ? 'unchecked' : answer === 'pass' ? 'allowed' : 'refusedByChecker';
        row.included[outcome]++;
        k.included++;
        if (outcome !== 'refusedByChecker') k.allowed++;
      }
    }
    rows.push(row);
  }
  const classes = CLASSES.map(([name, labels]) => {
    const rs = rows.filter((r) => labels.includes(r.label));
    const sum = (f: (r: MatrixRow) => number) => rs.reduce((n, r) => n + f(r), 0);
    return {
      name,
      excluded: sum((r) => r.excluded.caught + r.excluded.reported + r.excluded.passed + r.excluded.unchecked),
      caught: sum((r) => r.excluded.caught + r.excluded.reported),
      reported: sum((r) => r.excluded.reported),
      included: sum((r) => r.included.allowed + r.included.refusedByChecker + r.included.unchecked),
      allowed: sum((r) => r.included.allowed + r.included.unchecked),
      unchecked: sum((r) => r.excluded.unchecked),
    };
  }).filter((c) => c.excluded + c.included > 0);
  for (const [name, labels] of CLASSES)
    if (!rows.some((r) => labels.includes(r.label))) problems.push(`no target of class "${name}" was found in the guest`);
  const caught = classes.reduce((n, c) => n + c.caught, 0);
  const excluded = classes.reduce((n, c) => n + c.excluded, 0);
  const allowedInside = classes.reduce((n, c) => n + c.allowed, 0);
  // the injected writes
  const injected = lines
    .filter((l) => l.startsWith('KC-ATTACK-EXIT ') && !l.startsWith('KC-ATTACK-EXIT hijack'))
    .map((l) => {
      const [, target, code] = l.split(/\s+/);
      const addr =
        target === 'cred'
          ? lines.find((x) => x.startsWith('KC-ATTACK poke-cred cred='))?.match(/cred=([0-9a-f]+)/)?.[1]
          : targets.find((t) => t.label === target)?.addr;
      const fidelity = FIDELITY_WRITES[target!];
      const event = fidelity
        ? lines.find((x) => /^KC-VIOLATION /.test(x) && x.includes(`function="${fidelity}"`))
        : addr
          ? lines.find(
              (x) =>
                /^KC-(VIOLATION|UNKNOWN) /.test(x) &&
                /function="kcdemo_poke"/.test(x) &&
                (() => {
                  const a = /addr=0x([0-9a-f]+)/.exec(x)?.[1];
                  if (!a || !/^[0-9a-f]+$/.test(addr)) return false;
                  const d = BigInt(`0x${a}`) - BigInt(`0x${addr}`);
                  return d >= 0n && d < 64n; // the cred write lands on the uid field, a few bytes in
                })(),
            )
          : undefined;
      return {
        target: target!,
        reported: event !== undefined,
        killed: code === '137' || /killed=1/.test(event ?? ''),
        exit: code === undefined ? null : Number(code),
        ...(event ? { event } : {}),
      };
    });
  for (const i of injected) if (!i.reported && i.target !== 'hijack') problems.push(`the injected write into ${i.target} was not reported`);
  if (inject && !injected.some((i) => i.target === 'cred')) problems.push('the injected cred write did not run');
  // the hijacked indirect call (issue 16): reported at kcdemo_op with commit_creds as its target, the caller killed
  const hijackExit = lines.find((l) => l.startsWith('KC-ATTACK-EXIT hijack'))?.split(/\s+/)[2];
  if (hijackExit !== undefined) {
    const event = lines.find(
      (x) => x.startsWith('KC-ICALL-VIOLATION ') && /function="kcdemo_op"/.test(x) && /symbol="commit_creds\+0x/.test(x),
    );
    injected.push({
      target: 'hijack',
      reported: event !== undefined,
      killed: hijackExit === '137' || /killed=1/.test(event ?? ''),
      exit: Number(hijackExit),
      ...(event ? { event } : {}),
    });
    if (!event) problems.push('the hijacked indirect call to commit_creds was not reported');
    const uid = lines.find((l) => l.startsWith('KC-ATTACK after hijack'))?.match(/uid=(\d+)/)?.[1];
    if (uid === '0') problems.push('the harness task saw uid 0 after the hijacked call');
    if (hijackExit !== '137') problems.push(`the hijacking task exited ${hijackExit}, not 137 (SIGKILL)`);
  } else if (inject) problems.push('the hijacked indirect call did not run');
  for (const t of inject ? [...Object.keys(FIDELITY_WRITES), 'runtime_phase_flag'] : [])
    if (!injected.some((i) => i.target === t)) problems.push(`the injected write ${t} did not run`);
  const credUidSeen = lines.find((l) => l.startsWith('KC-ATTACK after poke-cred'))?.match(/uid=(\d+)/)?.[1] ?? null;
  if (credUidSeen === '0') problems.push('the harness task saw uid 0 after its cred write');
  if (caught < excluded) problems.push(`${excluded - caught} writes outside their legal set pass`);
  return {
    compartment,
    e2e: {
      ok: e2e.ok,
      problems: e2e.problems,
      ...(e2e.attached ? { attached: e2e.attached } : {}),
      ...(e2e.countersLegit ? { countersLegit: e2e.countersLegit } : {}),
      legitViolations: e2e.legitViolations,
      stalls: e2e.stalls,
    },
    sites: siteCounts,
    fallbackInstructions: fallbackInstructions(policy),
    targets,
    rows,
    setKinds: [...kinds.values()],
    classes,
    protection: { caught, excluded, percent: excluded ? (100 * caught) / excluded : 100, allowedInside },
    injected,
    credUidSeen,
    ok: problems.length === 0,
    problems,
  };
}

export function printAttack(r: AttackReport): void {
  const s = r.sites;
  console.log(`kcompart attack ${r.compartment}: ${r.ok ? 'PASS' : 'FAIL'}`);
  console.log(
    `  machine sites   ${s.checked} checked, ${s.fallback} unmapped accesses checked by their function's fallback sites, ${s.function} by all their function's checks (no orphan write), unchecked: any ${s.any}, unmapped ${s.unmapped}, no-operand ${s['no-operand']}, refused ${s.refused}; ${s.fixed} at a fixed address (not aimable); ${s.init} in .init.text (freed before the load)`,
  );
  if (r.fallbackInstructions !== undefined)
    console.log(
      `  fallback sites  ${r.fallbackInstructions.forUnmapped} orphan writes standing for unmapped accesses (counted through them), ${r.fallbackInstructions.functionOnly} in functions with no unmapped access (not counted)`,
    );
  console.log(`  targets         ${r.targets.map((t) => t.label).join(', ')}`);
  console.log(
    '  target class (sites whose set excludes it: caught = violation + reported)  excluded  caught (reported)  unchecked  included  allowed',
  );
  for (const c of r.classes) {
    console.log(
      `  ${c.name.padEnd(72)} ${String(c.excluded).padStart(9)} ${String(c.caught).padStart(7)} ${`(${c.reported})`.padStart(10)} ${String(c.unchecked).padStart(10)} ${String(c.included).padStart(9)} ${String(c.allowed).padStart(8)}`,
    );
  }
  console.log(
    '  legal set of the site (all targets)                       sites  excluded  caught (reported)  unchecked  included  allowed',
  );
  for (const k of r.setKinds ?? [])
    console.log(
      `  ${k.name.padEnd(56)} ${String(k.sites).padStart(6)} ${String(k.excluded).padStart(9)} ${String(k.caught).padStart(7)} ${`(${k.reported})`.padStart(10)} ${String(k.unchecked).padStart(10)} ${String(k.included).padStart(9)} ${String(k.allowed).padStart(8)}`,
    );
  for (const i of r.injected) {
    // the event's site, where, what was hit and who owns it
    const fields = i.event
      ? ['site', 'icall', 'function', 'addr', 'target', 'region', 'cache_name', 'object_size', 'symbol', 'expected', 'comm', 'killed']
          .map((k) => new RegExp(`\\b${k}=("[^"]*"|\\S+)`).exec(i.event!)?.[0])
          .filter((f) => f !== undefined)
      : [];
    const kind = i.event?.startsWith('KC-UNKNOWN') ? 'KC-UNKNOWN' : i.event?.startsWith('KC-ICALL') ? 'KC-ICALL-VIOLATION' : 'KC-VIOLATION';
    console.log(
      `  injected        ${i.target.padEnd(14)} ${i.reported ? 'reported' : 'NOT REPORTED'}${i.killed ? ', writer killed' : ''} (exit ${i.exit})${i.event ? `: ${kind} ${fields.join(' ')}` : ''}`,
    );
  }
  console.log(`  cred write      the harness task ${r.credUidSeen === null ? 'never returned to user space' : `saw uid ${r.credUidSeen}`}`);
  printStalls(r.e2e);
  for (const p of r.problems) console.log(`  PROBLEM         ${p}`);
  const p = r.protection;
  console.log(
    `protection: caught ${p.caught} of ${p.excluded} writes outside the legal set (${p.percent.toFixed(1)} %), allowed ${p.allowedInside} inside it`,
  );
}

/** Runs the attack matrix of a compartment in the guest. */
export async function runAttack(
  c: Compartment,
  opts: { rounds?: number; timeoutMs?: number; onLine?: (l: string) => void } = {},
): Promise<AttackReport> {
  let policy: Policy | undefined;
  const programs = new Map<string, number>();
  const e2e = await runE2E(c, {
    ...opts,
    onBuild: (b) => {
      policy = b.map!.policy;
      for (const s of b.emit!.sites) programs.set(`${s.symbol}+0x${s.offset.toString(16)}`, s.id);
    },
  });
  // only kcdemo's own compartment has the injected writes
  return judgeAttack(c.name, readFileSync(e2e.logPath, 'utf8'), policy!, programs, e2e, c.name.startsWith('kcdemo'));
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const which = args.find((a) => !a.startsWith('--')) ?? 'kcdemo';
  if (which !== 'kcdemo' && which !== 'ipv6' && which !== 'ipv6-kernel') {
    console.error('usage: attack.js [kcdemo|ipv6|ipv6-kernel] [--json FILE] [--verbose]');
    return 2;
  }
  const verbose = args.includes('--verbose');
  const c = which === 'kcdemo' ? kcdemoAttack() : ipv6Attack(which === 'ipv6' ? ipv6() : ipv6Kernel());
  const r = await runAttack(c, {
    rounds: which === 'kcdemo' ? 3 : 1,
    timeoutMs: which === 'kcdemo' ? 900_000 : 5_400_000,
    ...(verbose ? { onLine: (l: string) => console.log(`  | ${l}`) } : {}),
  });
  printAttack(r);
  const j = args.indexOf('--json');
  if (j >= 0 && args[j + 1]) writeFileSync(args[j + 1]!, `${JSON.stringify(r, null, 1)}\n`);
  return r.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      process.exit(1);
    },
  );
}
