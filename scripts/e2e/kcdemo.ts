// Owns the kcdemo end-to-end pieces shared by the smoke script and the e2e
// tests: building the example module (scripts/e2e/build-module.sh), making a
// payload directory and an initramfs (scripts/e2e/initramfs.sh), and judging
// a guest's console log.

import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../lib/paths.js';

export interface KcdemoBuild {
  dir: string;
  ko: string;
  object: string;
  ll: string;
  seconds: number;
}

/** Runs a command, resolving with its output; rejects with its stderr on failure. */
export function runScript(cmd: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/**
 * Builds examples/kcdemo into `outDir` (kcdemo.ko, kcdemo.o, kcdemo.ll) with
 * clang-`llvm` (default 19, the corpus compiler); `irOnly`: kcdemo.ll alone.
 */
export async function buildKcdemo(outDir: string, opts: { llvm?: number; irOnly?: boolean } = {}): Promise<KcdemoBuild> {
  const t0 = performance.now();
  const script = join(repoRoot(), 'scripts', 'e2e', 'build-module.sh');
  await runScript('bash', [script, ...(opts.irOnly ? ['--ir-only'] : []), outDir, String(opts.llvm ?? 19)]);
  return {
    dir: outDir,
    ko: join(outDir, 'kcdemo.ko'),
    object: join(outDir, 'kcdemo.o'),
    ll: join(outDir, 'kcdemo.ll'),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Writes the smoke payload (kcdemo.ko, guest.sh, rounds) into `payloadDir`. */
export function writeSmokePayload(payloadDir: string, ko: string, rounds = 5): void {
  mkdirSync(payloadDir, { recursive: true });
  copyFileSync(ko, join(payloadDir, 'kcdemo.ko'));
  const guest = join(payloadDir, 'guest.sh');
  copyFileSync(join(repoRoot(), 'scripts', 'e2e', 'kcdemo-guest.sh'), guest);
  chmodSync(guest, 0o755);
  writeFileSync(join(payloadDir, 'rounds'), `${rounds}\n`);
}

/** Packs `payloadDir` into an initramfs at `out` (scripts/e2e/initramfs.sh). */
export async function makeInitramfs(payloadDir: string, out: string): Promise<void> {
  await runScript('bash', [join(repoRoot(), 'scripts', 'e2e', 'initramfs.sh'), payloadDir, out]);
}

/** Kernel log lines that mean the guest kernel is unwell. */
export const KERNEL_TROUBLE = /Oops|BUG:|WARNING:|general protection|Call Trace|Kernel panic/;

/** The overflow report of kcdemo's buggy `note` command. */
export const OVERFLOW_LINE = /kcdemo: note overflowed into victim at ([0-9a-f]{16})/;

/** What is wrong with a smoke run's console log (empty when it passed). */
export function smokeProblems(log: string, exitStatus: number | null, timedOut: boolean): string[] {
  const problems: string[] = [];
  if (timedOut) problems.push('the guest timed out');
  if (exitStatus !== 0) problems.push(`guest exit status ${exitStatus ?? 'missing'}`);
  for (const line of log.split('\n')) if (KERNEL_TROUBLE.test(line)) problems.push(`kernel: ${line.trim()}`);
  if (!OVERFLOW_LINE.test(log)) problems.push("no 'kcdemo: note overflowed into victim' line");
  if (!/^KC-SMOKE-OK$/m.test(log)) problems.push('no KC-SMOKE-OK marker');
  const fail = /^KC-SMOKE-FAIL .*$/m.exec(log);
  if (fail) problems.push(fail[0]);
  return problems;
}
