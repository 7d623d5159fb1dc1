// Example: the whole chain from the library on one kernel module, in one call
// (`buildCompartment`, what `kcompart run` does) — analyze its IR, map the
// writes and allocation sites onto its object, emit the eBPF checks and
// compile them with the static loader against a kernel's vmlinux.h. Prints
// where each run-time check sits and what it records.
//   node dist/examples/emit.js [module.ll module.o vmlinux.h outdir]
// Defaults: the kcdemo module built by scripts/example.sh, the corpus kernel.
import { join } from 'node:path';
import { BpfCompileError, buildCompartment } from 'kcompart';

const root = join(import.meta.dirname, '../..');
const [
  ll = join(root, '.cache/e2e/kcdemo/kcdemo.ll'),
  obj = join(root, '.cache/e2e/kcdemo/kcdemo.o'),
  vmlinuxH = join(root, '.cache/vmlinux-6.1.h'),
  out = join(root, 'out/emit-example'),
] = process.argv.slice(2);

try {
  // the corpus kernel (6.1) has no BPF JIT and no bpf_get_kmem_cache kfunc
  const b = await buildCompartment(
    {
      compartment: [ll],
      objects: [obj],
      name: 'example',
      compile: { vmlinuxH, kfunc: false, callbacks: false, outDir: out },
    },
    { onProgress: (p) => console.error(`${p.stage}: ${p.message}`) },
  );
  const stats = b.map!.stats;
  console.log(`${stats.accesses} writes on ${stats.sites} machine sites, ${stats.checkedSites} need a run-time check`);
  for (const s of b.emit!.sites.slice(0, 8))
    console.log(`  ${s.program.padEnd(12)} ${s.symbol}+0x${s.offset.toString(16).padEnd(5)} addr = ${s.address}`);
  for (const p of b.emit!.probes)
    console.log(`  ${p.program.padEnd(12)} ${p.symbol}+0x${p.offset.toString(16).padEnd(5)} records ${p.site}`);
  const c = b.compile!;
  console.log(`compiled ${c.objects.map((o) => o.object).join(', ')} and ${c.loader} with ${c.diagnostics.length} diagnostics`);
} catch (err) {
  if (!(err instanceof BpfCompileError)) throw err;
  for (const d of err.diagnostics) console.error(`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`);
  process.exitCode = 1;
}
