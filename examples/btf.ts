// Example: the kernel's record types from its BTF (`kcompart/btf`) — which
// structs embed a given one, as the analysis' typed fallbacks read them
// (a write through a `struct netlink_callback *` may land in a `netlink_sock`).
//   node dist/examples/btf.js <vmlinux.btf | vmlinux> <struct name>
import { BtfFormatError, readBtfFile } from 'kcompart/btf';

const [file, name] = process.argv.slice(2);
if (!file || !name) {
  console.error('usage: btf <vmlinux.btf | vmlinux> <struct name>');
  process.exit(2);
}
try {
  const btf = readBtfFile(file);
  const id = btf.structs.get(name);
  if (id === undefined) {
    console.error(`${file}: no struct ${name}`);
    process.exit(1);
  }
  console.log(`struct ${name}: ${btf.sizeOf(id)} bytes, ${btf.types.length - 1} types in ${file}`);
  const embedders: string[] = [];
  for (const r of btf.records()) {
    if (!r.name) continue;
    for (const m of r.members ?? []) {
      let t = btf.resolve(m.type);
      while (t?.kind === 'ARRAY') t = btf.resolve(t.array!.element);
      if (t?.id === id) {
        embedders.push(`${r.kind === 'UNION' ? 'union' : 'struct'} ${r.name} at byte ${m.bitOffset / 8} (${m.name || 'anonymous'})`);
        break;
      }
    }
  }
  console.log(`embedded directly in ${embedders.length} records:`);
  for (const e of embedders.sort()) console.log(`  ${e}`);
} catch (e) {
  if (e instanceof BtfFormatError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
