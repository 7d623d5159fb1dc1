// The eBPF benchmark (`npm run bench:emit`, issue 5): the net/ipv6 policy
// (analyzed with net/core as context and mapped against the net/ipv6 objects,
// or a mapped policy JSON given as argument) emitted to BPF C, compiled with
// clang-19 (kfunc build, with the static loader), clang-19 -DKC_NO_KFUNC (the
// CO-RE page walk), and clang-14, against the corpus kernel's vmlinux.h, and
// the two clang-19 objects loaded into this machine's kernel through the
// verifier WITHOUT attaching (bpftool prog loadall into a private bpffs
// directory, removed afterwards). Prints programs generated and loaded, maps,
// instructions per site program and in the checker (xlated), diagnostics of
// each compiler, and emit / compile / load times. First, for each site-program
// mode (issue 15: `data`, one program attached at every site, the default; and
// `per-site`, one generated program per site), the build the e2e guest loads
// (clang-19 -DKC_NO_KFUNC -DKC_NO_CALLBACKS, object only) timed, and its load
// through this machine's verifier timed: the `modes` lines.
//
// Usage: node dist/scripts/emit-corpus.js [policy.mapped.json] [--no-load] [--json] [--modes data,per-site]

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNTIME_PROGRAMS, SITE_PROGRAM_MODES, compileBpf, emitBpf, type SiteProgramMode } from '../src/emit/index.js';
import { buildCompartment, expandInputs, writeVmlinuxHeader } from '../src/pipeline.js';
import { readPolicy, type Policy } from '../src/policy/index.js';
import { loadWithoutAttach } from './lib/bpf-load.js';
import { corpusDir, repoRoot } from './lib/paths.js';

const ROOT = repoRoot();
const CORPUS = corpusDir(ROOT);
const CLANG = process.env['CLANG'] ?? 'clang-19';

/** The corpus kernel's vmlinux.h (made once into .cache/). */
async function vmlinuxH(): Promise<string> {
  const h = join(ROOT, '.cache', 'vmlinux-6.1.h');
  return existsSync(h) ? h : writeVmlinuxHeader(join(CORPUS, 'linux-6.1', 'kernel', 'vmlinux.btf'), h);
}

/** net/ipv6 with net/core as context, mapped onto the net/ipv6 objects. */
async function ipv6Policy(): Promise<Policy> {
  const net = join(CORPUS, 'linux-6.1', 'net');
  const b = await buildCompartment({
    compartment: expandInputs([join(net, 'ipv6')]),
    context: expandInputs([join(net, 'core')]),
    sourcePrefixes: ['net/ipv6/'],
    objects: expandInputs([join(net, 'ipv6')], 'object'),
    emit: false,
  });
  return b.map!.policy;
}

/** CPU seconds of this process's finished children (clang): cutime + cstime of /proc/self/stat; wall time on a shared machine says little. */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
  return (Number(fields[13]) + Number(fields[14])) / 100; // fields 16 and 17, in clock ticks (USER_HZ = 100)
}

/** One site-program mode: emit, the guest's build (clang only), its load through this machine's verifier. */
interface ModeFigures {
  mode: SiteProgramMode;
  sites: number;
  programs: number;
  cBytes: number;
  emitSeconds: number;
  clangSeconds: number;
  clangCpuSeconds: number;
  diagnostics: number;
  load?: { programs: number; seconds: number; siteProgramInsns?: number };
}

async function measureMode(policy: Policy, mode: SiteProgramMode, header: string, dir: string, noLoad: boolean): Promise<ModeFigures> {
  const t0 = performance.now();
  const e = emitBpf(policy, { name: 'ipv6', sitePrograms: mode });
  const t1 = performance.now();
  const cpu0 = childCpuSeconds();
  // what the e2e guest loads: the corpus kernel has no BPF JIT and no bpf_get_kmem_cache
  const c = await compileBpf(e.files, {
    clang: CLANG,
    vmlinuxH: header,
    outDir: join(dir, `mode-${mode}`),
    extraFlags: ['-DKC_NO_KFUNC', '-DKC_NO_CALLBACKS'],
  });
  const t2 = performance.now();
  const cpu = childCpuSeconds() - cpu0;
  const site = mode === 'data' ? 'kc_site' : 'kc_site_0';
  const load = noLoad ? undefined : await loadWithoutAttach(c.objects[0]!.object, { dumpPrograms: 0, dumpNames: [site] });
  const insns = load?.programs.find((p) => p.name === site)?.functions[site];
  return {
    mode,
    sites: e.stats.programs,
    programs: e.stats.sitePrograms + e.stats.probePrograms + e.icalls.sites.length + RUNTIME_PROGRAMS.length,
    cBytes: e.files.find((f) => f.name === 'ipv6.bpf.c')!.content.length,
    emitSeconds: (t1 - t0) / 1e3,
    clangSeconds: (t2 - t1) / 1e3,
    clangCpuSeconds: cpu,
    diagnostics: c.diagnostics.length,
    ...(load
      ? { load: { programs: load.programs.length, seconds: load.ms / 1e3, ...(insns !== undefined ? { siteProgramInsns: insns } : {}) } }
      : {}),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const noLoad = args.includes('--no-load');
  const m = args.indexOf('--modes');
  const modes = (m >= 0 ? (args[m + 1] ?? '') : SITE_PROGRAM_MODES.join(',')).split(',') as SiteProgramMode[];
  if (!modes.length || modes.some((x) => !SITE_PROGRAM_MODES.includes(x))) throw new Error(`--modes takes ${SITE_PROGRAM_MODES.join(',')}`);
  const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--modes');
  const t0 = performance.now();
  const policy = file ? await readPolicy(file) : await ipv6Policy();
  const t1 = performance.now();
  const e = emitBpf(policy, { name: 'ipv6' });
  const t2 = performance.now();
  const header = await vmlinuxH();
  const dir = mkdtempSync(join(tmpdir(), 'kcompart-bench-emit-'));
  try {
    const byMode: ModeFigures[] = [];
    for (const mode of modes) {
      const f = await measureMode(policy, mode, header, dir, noLoad);
      byMode.push(f);
      if (!json)
        console.log(
          `  modes          ${mode}: ${f.sites} sites, ${f.programs} programs, ${(f.cBytes / 1e6).toFixed(2)} MB of C; ${CLANG} -DKC_NO_KFUNC -DKC_NO_CALLBACKS ${f.clangSeconds.toFixed(1)} s (${f.clangCpuSeconds.toFixed(1)} CPU-s; ${f.diagnostics} diagnostics)` +
            (f.load
              ? `; host load ${f.load.programs} programs in ${f.load.seconds.toFixed(1)} s (verifier, not attached; site program ${f.load.siteProgramInsns ?? '?'} insns)`
              : ''),
        );
    }
    const t2b = performance.now();
    const c = await compileBpf(e.files, { clang: CLANG, vmlinuxH: header, outDir: dir, loader: true });
    const t3 = performance.now();
    const core = await compileBpf(e.files, { clang: CLANG, vmlinuxH: header, outDir: join(dir, 'core'), extraFlags: ['-DKC_NO_KFUNC'] });
    const t4 = performance.now();
    const c14 = await compileBpf(e.files, { clang: 'clang-14', vmlinuxH: header, outDir: join(dir, 'clang14') });
    const t5 = performance.now();
    // the maps the program and every run-time header it includes declare (maps.bpf.h, icall.bpf.h, …)
    const headers = readdirSync(dir).filter((f) => f.endsWith('.bpf.h'));
    const mapNames =
      [readFileSync(c.objects[0]!.source, 'utf8'), ...headers.map((h) => readFileSync(join(dir, h), 'utf8'))]
        .join('\n')
        .match(/^} (kc_\w+) SEC\("\.maps"\)/gm) ?? [];
    const maps = mapNames.length;
    const dumpNames = ['kc_site', 'kc_site_0', 'kc_alloc', 'kc_alloc_0'];
    const load = noLoad ? undefined : await loadWithoutAttach(c.objects[0]!.object, { dumpPrograms: 0, dumpNames });
    const loadCore = noLoad ? undefined : await loadWithoutAttach(core.objects[0]!.object, { dumpPrograms: 0, dumpNames });
    const first = load?.programs.find((p) => p.functions['kc_check'] !== undefined);
    const siteInsns = first?.functions[first.name];
    const trackInsns = load?.programs.find((p) => p.functions['kc_track'] !== undefined)?.functions['kc_track'];
    const out = {
      policy: file ?? 'net/ipv6 (net/core context), mapped against net/ipv6/*.o',
      kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
      stats: e.stats,
      compile: { clang: CLANG, diagnostics: c.diagnostics.length, seconds: (t3 - t2b) / 1e3, loader: c.loader },
      compileCore: { clang: CLANG, flags: '-DKC_NO_KFUNC', diagnostics: core.diagnostics.length, seconds: (t4 - t3) / 1e3 },
      compileClang14: { clang: 'clang-14', diagnostics: c14.diagnostics.length, seconds: (t5 - t4) / 1e3 },
      probes: e.probes.length,
      load: load
        ? {
            programs: load.programs.length,
            seconds: load.ms / 1e3,
            checkerInsns: first?.functions['kc_check'],
            trackInsns,
            siteProgramInsns: siteInsns,
            xlatedBytesPerProgram: first?.xlatedBytes,
          }
        : 'skipped',
      loadCore: loadCore ? { programs: loadCore.programs.length, seconds: loadCore.ms / 1e3 } : 'skipped',
      maps,
      modes: byMode,
      seconds: { policy: (t1 - t0) / 1e3, emit: (t2 - t1) / 1e3 },
    };
    if (json) {
      console.log(JSON.stringify(out));
      return;
    }
    const s = e.stats;
    console.log(
      `kcompart emit: ${s.accesses} accesses, ${s.binarySites} machine sites -> ${s.programs} site programs (${s.globals} globals, ${s.caches} caches in legal sets)`,
    );
    console.log(
      `  no program     ${Object.entries(s.skipped)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    console.log(`  merged         ${s.merged} machine sites share an instruction with another access (one program, legal sets united)`);
    console.log(
      `  limits         ${s.overGlobalLimit} programs name more globals than the checker scans; ${s.unnamedSections} without a kernel-symbol section`,
    );
    console.log(
      `  rip resolved   legal ${s.ripResolved.legal}, outside ${s.ripResolved.outside}; %gs per-cpu legal ${s.ripResolved.gsLegal}, outside ${s.ripResolved.gsOutside}`,
    );
    console.log(
      `  allocation     ${s.allocations.tracked} allocation sites tracked by ${e.probes.length} probes, ${s.allocations.untracked} untracked (no object mapped); sites with untracked slab ${s.untrackedSites.slab}, buddy ${s.untrackedSites.buddy}; ${s.groupMapped} sites checked through function groups (${s.functions} analyzed functions)`,
    );
    console.log(
      `  compile        ${CLANG}: ${c.diagnostics.length} diagnostics, ${out.compile.seconds.toFixed(1)} s (+ static loader); -DKC_NO_KFUNC ${core.diagnostics.length} diagnostics, ${out.compileCore.seconds.toFixed(1)} s; clang-14 ${c14.diagnostics.length} diagnostics, ${out.compileClang14.seconds.toFixed(1)} s`,
    );
    const total = s.sitePrograms + s.probePrograms + e.icalls.sites.length + RUNTIME_PROGRAMS.length;
    if (load && loadCore) {
      console.log(
        `  verifier       kfunc build: ${load.programs.length} of ${total} programs (${s.sitePrograms} site program${s.sitePrograms === 1 ? '' : 's'} for ${s.programs} sites (${s.siteMode}), ${s.probePrograms} allocation-probe program${s.probePrograms === 1 ? '' : 's'} for ${e.probes.length} probes, ${e.icalls.sites.length} indirect-call programs, ${RUNTIME_PROGRAMS.length} runtime) loaded, not attached, on ${out.kernel} in ${(load.ms / 1e3).toFixed(1)} s`,
      );
      console.log(`                 CO-RE page-walk build: ${loadCore.programs.length} of ${total} in ${(loadCore.ms / 1e3).toFixed(1)} s`);
      console.log(
        `  instructions   kc_check ${first?.functions['kc_check'] ?? '?'}, kc_track ${trackInsns ?? '?'} (xlated); site program ${siteInsns ?? '?'}; ${first?.xlatedBytes ?? '?'} xlated bytes per program`,
      );
    }
    console.log(`  maps           ${maps} (${mapNames.map((m) => m.replace(/^} (\w+).*/, '$1')).join(', ')}) + .rodata, .bss, .data.kcrt`);
    console.log(`  time           policy ${out.seconds.policy.toFixed(1)} s, emit ${out.seconds.emit.toFixed(2)} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
