// Example: the whole chain from the library on one kernel module — analyze its
// IR, map the writes and allocation sites onto its object, emit the eBPF
// checks and compile them with the static loader against a kernel's BTF-made
// vmlinux.h. Prints where each run-time check sits and what it allows.
//   node dist/examples/emit.js [module.ll module.o vmlinux.h outdir]
// Defaults: the kcdemo module built by scripts/example.sh, the corpus kernel.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, BpfCompileError, compileBpf, emitBpf, mapSitesToAddresses, readElf } from '../src/index.js';

const root = join(import.meta.dirname, '../..');
const [ll = join(root, '.cache/e2e/kcdemo/kcdemo.ll'), obj = join(root, '.cache/e2e/kcdemo/kcdemo.o'),
  vmlinuxH = join(root, '.cache/vmlinux-6.1.h'), out = join(root, 'out/emit-example')] = process.argv.slice(2);

const { policy } = await analyze([ll], [], { name: 'example' });
const { policy: mapped, stats } = mapSitesToAddresses(policy, [{ path: obj, elf: readElf(readFileSync(obj), obj) }]);
console.log(`${stats.accesses} writes on ${stats.sites} machine sites, ${stats.checkedSites} need a run-time check`);

const e = emitBpf(mapped, { name: 'example' });
for (const s of e.sites.slice(0, 8)) console.log(`  ${s.program.padEnd(12)} ${s.symbol}+0x${s.offset.toString(16).padEnd(5)} addr = ${s.address}`);
for (const p of e.probes) console.log(`  ${p.program.padEnd(12)} ${p.symbol}+0x${p.offset.toString(16).padEnd(5)} records ${p.site}`);

try {
  // the corpus kernel (6.1) has no BPF JIT and no bpf_get_kmem_cache kfunc
  const c = await compileBpf(e.files, { clang: 'clang-19', vmlinuxH, outDir: out, loader: true, extraFlags: ['-DKC_NO_KFUNC', '-DKC_NO_CALLBACKS'] });
  console.log(`compiled ${c.objects.map((o) => o.object).join(', ')} and ${c.loader} with ${c.diagnostics.length} diagnostics`);
} catch (err) {
  if (!(err instanceof BpfCompileError)) throw err;
  for (const d of err.diagnostics) console.error(`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`);
  process.exitCode = 1;
}
