// The kcdemo smoke run: builds examples/kcdemo (into .cache/e2e/kcdemo),
// packs it with scripts/e2e/kcdemo-guest.sh into an initramfs, boots the
// corpus kernel under qemu and checks the module's whole workload and its
// buggy `note` command ran without an oops or a warning — before any policy
// exists. Exit status 0 when it passed, 1 otherwise.
//   node dist/scripts/e2e/kcdemo-smoke.js [--rounds N] [--timeout SECONDS] [--quiet]

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../lib/paths.js';
import { buildKcdemo, makeInitramfs, smokeProblems, writeSmokePayload } from './kcdemo.js';
import { bootGuest } from './vm.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`usage: kcdemo-smoke [--rounds N] [--timeout SECONDS] [--quiet]`);
    process.exit(2);
  }
  return v;
}

async function main(): Promise<number> {
  const rounds = option('--rounds', 5);
  const timeout = option('--timeout', 240);
  const quiet = process.argv.includes('--quiet');
  const work = join(repoRoot(), '.cache', 'e2e');
  const build = await buildKcdemo(join(work, 'kcdemo'));
  console.log(`built ${build.ko} in ${build.seconds.toFixed(1)} s`);
  const payload = join(work, 'kcdemo-smoke-payload');
  rmSync(payload, { recursive: true, force: true });
  writeSmokePayload(payload, build.ko, rounds);
  const initrd = join(work, 'kcdemo-smoke.cpio.gz');
  await makeInitramfs(payload, initrd);
  const r = await bootGuest({ initrd, timeoutMs: timeout * 1000, onLine: quiet ? undefined : (l) => console.log(`  | ${l}`) });
  const problems = smokeProblems(r.log, r.exitStatus, r.timedOut);
  console.log(`guest ran ${r.seconds.toFixed(1)} s, exit status ${r.exitStatus ?? 'none'}${r.timedOut ? ' (timed out)' : ''}`);
  if (problems.length) {
    console.log(`kcdemo smoke FAILED:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  console.log('kcdemo smoke passed');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
