// Owns booting the corpus kernel (../shared/corpus/linux-6.1/kernel/bzImage)
// in qemu with an initramfs made by scripts/e2e/initramfs.sh, for the
// end-to-end tests: the serial console is streamed line by line, the guest's
// `KC-GUEST-EXIT <status>` marker is parsed, and qemu is killed on timeout
// or when the guest is stalled (RCU stall reports for minutes, no harness
// marker between them: see StallWatch).
// TCG by default (KVM did not boot the corpus kernel on these machines);
// KCOMPART_QEMU_ACCEL=kvm overrides. KCOMPART_QEMU overrides the binary.
// Nothing here touches the host kernel.

import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { corpusDir } from '../lib/paths.js';

export interface BootOptions {
  /** The initramfs (a gzip'd newc cpio, e.g. from scripts/e2e/initramfs.sh). */
  initrd: string;
  /** qemu is killed after this long (the result then has timedOut: true). */
  timeoutMs: number;
  /** Guest memory in MiB (1024 by default). */
  memoryMb?: number;
  /** Extra kernel command line, after "console=ttyS0 panic=-1 nokaslr slab_nomerge quiet". */
  append?: string;
  /** Called with every console line (no line terminator) as it arrives. */
  onLine?: (line: string) => void;
  /** The kernel image (the corpus bzImage by default). */
  kernel?: string;
  /** Guest CPUs (2 by default: under TCG it boots as fast as 1). */
  cpus?: number;
  /**
   * qemu is killed when the guest's RCU stall reports span this long with no
   * `KC-` marker between them (the result then has `stalled`). 120 s by
   * default; 0 never kills on a stall.
   */
  stallMs?: number;
}

export interface BootResult {
  /** The whole serial console output, `\r` removed. */
  log: string;
  /** The status printed by the guest's `KC-GUEST-EXIT <status>` line, or null if none was seen. */
  exitStatus: number | null;
  timedOut: boolean;
  /** Set when qemu was killed because the guest stalled (see {@link StallWatch}). */
  stalled: GuestStall | null;
  /** Wall-clock time from spawning qemu to its exit. */
  seconds: number;
}

export const GUEST_START = 'KC-GUEST-START';
export const GUEST_EXIT = /^KC-GUEST-EXIT (\d+)\s*$/m;

/** A guest the stall watch gave up on. */
export interface GuestStall {
  /** Seconds from the first stall report to the one that decided. */
  seconds: number;
  /** The stall reports seen, in order. */
  reports: string[];
  /** The last `KC-` marker the guest printed before the stall (null if none). */
  lastMarker: string | null;
}

/**
 * The kernel's own reports that a CPU or the RCU grace-period kthread made no
 * progress: RCU CPU stall warnings, kthread starvation, soft lockups. A
 * healthy guest prints none; under TCG on a loaded host a guest has been seen
 * to print "rcu_preempt kthread starved" every 63 s and never recover.
 */
export const STALL_REPORT =
  /rcu: INFO: rcu_\w+ (?:detected stalls|self-detected stall)|rcu: rcu_\w+ kthread (?:starved|timer wakeup didn't happen)|watchdog: BUG: soft lockup/;

/**
 * Decides that a guest is stalled: its stall reports span at least `stallMs`
 * with no `KC-` marker (a step of the harness) printed between them. A marker
 * starts the span afresh: a guest that reports a stall and then goes on is
 * slow, not stalled (its log still fails the run's judge on the report).
 */
export class StallWatch {
  private since: number | null = null;
  private reports: string[] = [];
  private marker: string | null = null;

  constructor(private readonly stallMs: number) {}

  /** Feeds one console line seen at `nowMs`; returns the stall once it is decided, else null. */
  observe(line: string, nowMs: number): GuestStall | null {
    if (line.startsWith('KC-')) {
      this.marker = line;
      this.since = null;
      this.reports = [];
      return null;
    }
    if (this.stallMs <= 0 || !STALL_REPORT.test(line)) return null;
    this.since ??= nowMs;
    this.reports.push(line.trim());
    const seconds = (nowMs - this.since) / 1000;
    return nowMs - this.since >= this.stallMs ? { seconds, reports: [...this.reports], lastMarker: this.marker } : null;
  }
}

/** The kernel command line every boot starts with. */
export const BASE_APPEND = 'console=ttyS0 panic=-1 nokaslr slab_nomerge quiet';

/** The corpus kernel image. */
export function corpusKernel(): string {
  return join(corpusDir(), 'linux-6.1', 'kernel', 'bzImage');
}

/** The qemu binary to run: KCOMPART_QEMU, else qemu-system-x86_64 on PATH; null if none is found. */
export function findQemu(): string | null {
  const explicit = process.env['KCOMPART_QEMU'];
  if (explicit) return isExecutable(explicit) ? explicit : null;
  for (const dir of (process.env['PATH'] ?? '/usr/bin:/bin').split(delimiter)) {
    const p = join(dir || '.', 'qemu-system-x86_64');
    if (isExecutable(p)) return p;
  }
  return null;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The qemu command line for one boot (exported for the tests' messages). */
export function qemuArgs(opts: BootOptions): string[] {
  const accel = process.env['KCOMPART_QEMU_ACCEL'] || 'tcg';
  const append = opts.append ? `${BASE_APPEND} ${opts.append}` : BASE_APPEND;
  return [
    '-accel',
    accel,
    '-m',
    String(opts.memoryMb ?? 1024),
    '-smp',
    String(opts.cpus ?? 2),
    '-nographic',
    '-no-reboot',
    '-kernel',
    opts.kernel ?? corpusKernel(),
    '-initrd',
    opts.initrd,
    '-append',
    append,
  ];
}

/**
 * Boots the kernel with `opts.initrd` and resolves when qemu exits (the guest
 * powers off after its payload) or when `opts.timeoutMs` has passed (qemu is
 * then killed). Rejects only when qemu cannot be started or an input is missing.
 */
export async function bootGuest(opts: BootOptions): Promise<BootResult> {
  const qemu = findQemu();
  if (!qemu) throw new Error('qemu-system-x86_64 not found (apt-get install qemu-system-x86, or run scripts/setup.sh)');
  const kernel = opts.kernel ?? corpusKernel();
  if (!existsSync(kernel)) throw new Error(`kernel image not found: ${kernel}`);
  if (!existsSync(opts.initrd)) throw new Error(`initramfs not found: ${opts.initrd}`);

  const started = process.hrtime.bigint();
  const child = spawn(qemu, qemuArgs({ ...opts, kernel }), { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let partial = '';
  let stderr = '';
  let timedOut = false;
  const stall: { found: GuestStall | null } = { found: null };
  const watch = new StallWatch(opts.stallMs ?? 120_000);

  const emit = (chunk: string, flush: boolean): void => {
    partial += chunk.replace(/\r/g, '');
    const lines = partial.split('\n');
    partial = flush ? '' : lines.pop()!;
    for (const line of lines) {
      log += `${line}\n`;
      opts.onLine?.(line);
      if (!stall.found) {
        stall.found = watch.observe(line, Date.now());
        if (stall.found) child.kill('SIGKILL');
      }
    }
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => emit(d, false));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr += d;
  });

  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);

  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${qemu}: ${err.message}`));
    });
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  if (partial) emit('\n', true);
  if (stderr.trim()) log += `[qemu stderr] ${stderr.trim()}\n`;
  const stalled = stall.found;
  if (stalled) log += `[killed: the guest stalled, ${stalled.reports.length} stall reports over ${stalled.seconds.toFixed(0)} s]\n`;
  if (code !== 0 && !timedOut && !stalled && !GUEST_EXIT.test(log)) log += `[qemu exit code ${code}]\n`;

  const m = GUEST_EXIT.exec(log);
  return {
    log,
    exitStatus: m ? Number(m[1]) : null,
    timedOut,
    stalled,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
