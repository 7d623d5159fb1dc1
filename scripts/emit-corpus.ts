// The eBPF benchmark (`npm run bench:emit`, issue 5): the net/ipv6 policy
// (analyzed with net/core as context and mapped against the net/ipv6 objects,
// or a mapped policy JSON given as argument) emitted to BPF C, compiled with
// clang against the corpus kernel's vmlinux.h, and loaded into this machine's
// kernel through the verifier WITHOUT attaching (bpftool prog loadall into a
// private bpffs directory, removed afterwards). Prints programs generated and
// loaded, maps, instructions per site program and in the checker (xlated),
// and emit / compile / load times.
//
// Usage: node dist/scripts/emit-corpus.js [policy.mapped.json] [--no-load] [--json]

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyze } from "../src/analysis/index.js";
import { mapSitesToAddresses, readElf } from "../src/binary/index.js";
import { compileBpf, emitBpf } from "../src/emit/index.js";
import { readPolicy, type Policy } from "../src/policy/index.js";
import { BPFTOOL, loadWithoutAttach } from "./lib/bpf-load.js";
import { corpusDir, repoRoot } from "./lib/paths.js";

const ROOT = repoRoot();
const CORPUS = corpusDir(ROOT);
const CLANG = process.env["CLANG"] ?? "clang-19";

function vmlinuxH(): string {
  const h = join(ROOT, ".cache", "vmlinux-6.1.h");
  if (!existsSync(h)) {
    mkdirSync(join(ROOT, ".cache"), { recursive: true });
    const text = execFileSync(BPFTOOL, ["btf", "dump", "file", join(CORPUS, "linux-6.1", "kernel", "vmlinux.btf"), "format", "c"], { maxBuffer: 256 << 20, encoding: "utf8" });
    writeFileSync(`${h}.${process.pid}`, text);
    renameSync(`${h}.${process.pid}`, h);
  }
  return h;
}

async function ipv6Policy(): Promise<Policy> {
  const net = join(CORPUS, "linux-6.1", "net");
  const lls = (d: string) => readdirSync(join(net, d)).filter((f) => f.endsWith(".ll")).sort().map((f) => join(net, d, f));
  const { policy } = await analyze(lls("ipv6"), lls("core"), { sourcePrefixes: ["net/ipv6/"] });
  const objects = readdirSync(join(net, "ipv6")).filter((f) => f.endsWith(".o")).sort()
    .map((f) => ({ path: join(net, "ipv6", f), elf: readElf(readFileSync(join(net, "ipv6", f)), join(net, "ipv6", f)) }));
  return mapSitesToAddresses(policy, objects).policy;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const noLoad = args.includes("--no-load");
  const file = args.find((a) => !a.startsWith("--"));
  const t0 = performance.now();
  const policy = file ? await readPolicy(file) : await ipv6Policy();
  const t1 = performance.now();
  const e = emitBpf(policy, { name: "ipv6" });
  const t2 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "kcompart-bench-emit-"));
  try {
    const c = await compileBpf(e.files, { clang: CLANG, vmlinuxH: vmlinuxH(), outDir: dir });
    const t3 = performance.now();
    const maps = 5; // kc_sites, kc_globals, kc_allowed_caches, kc_counters, kc_events (+ .rodata/.bss/.kconfig data maps)
    const load = noLoad ? undefined : await loadWithoutAttach(c.objects[0]!.object, { dumpPrograms: 3 });
    const first = load?.programs.find((p) => p.functions["kc_check"] !== undefined);
    const siteInsns = first?.functions[first.name];
    const stepInsns = first?.functions["kc_globals_step"];
    const out = {
      policy: file ?? "net/ipv6 (net/core context), mapped against net/ipv6/*.o",
      kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
      stats: e.stats,
      compile: { clang: CLANG, diagnostics: c.diagnostics.length, seconds: (t3 - t2) / 1e3 },
      load: load ? { programs: load.programs.length, seconds: load.ms / 1e3, checkerInsns: first?.functions["kc_check"], globalsStepInsns: stepInsns, siteProgramInsns: siteInsns, xlatedBytesPerProgram: first?.xlatedBytes } : "skipped",
      maps,
      seconds: { policy: (t1 - t0) / 1e3, emit: (t2 - t1) / 1e3 },
    };
    if (json) {
      console.log(JSON.stringify(out));
      return;
    }
    const s = e.stats;
    console.log(`kcompart emit: ${s.accesses} accesses, ${s.binarySites} machine sites -> ${s.programs} site programs (${s.globals} globals, ${s.caches} caches in legal sets)`);
    console.log(`  no program     ${Object.entries(s.skipped).map(([k, n]) => `${k} ${n}`).join(", ")}`);
    console.log(`  limits         ${s.overGlobalLimit} programs name more globals than the checker scans; ${s.unnamedSections} without a kernel-symbol section`);
    console.log(`  rip resolved   legal ${s.ripResolved.legal}, outside ${s.ripResolved.outside}; %gs per-cpu legal ${s.ripResolved.gsLegal}, outside ${s.ripResolved.gsOutside}`);
    console.log(`  compile        ${CLANG}: ${c.diagnostics.length} diagnostics, ${out.compile.seconds.toFixed(1)} s`);
    if (load) {
      console.log(`  verifier       ${load.programs.length} of ${s.programs} programs loaded (not attached) on ${out.kernel} in ${(load.ms / 1e3).toFixed(1)} s`);
      console.log(`  instructions   kc_check ${first?.functions["kc_check"] ?? "?"} + kc_globals_step ${stepInsns ?? "?"} (xlated), site program ${siteInsns ?? "?"}; ${first?.xlatedBytes ?? "?"} xlated bytes per program`);
    }
    console.log(`  maps           ${maps} (kc_sites, kc_globals, kc_allowed_caches, kc_counters per-cpu, kc_events ring buffer)`);
    console.log(`  time           policy ${out.seconds.policy.toFixed(1)} s, emit ${out.seconds.emit.toFixed(2)} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
