// Owns the hang watchdog for the fuzzers: a worker thread that notices when one
// synchronous parse has run longer than a limit (the main thread is blocked, so
// no timer of its own can fire), writes the case description straight to fd 2
// and kills the process, so a hang becomes a loud failure instead of a stuck CI job.

import { Worker } from 'node:worker_threads';

const DESC_BYTES = 8192;

const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const fs = require("node:fs");
const { sab, hangMs } = workerData;
const state = new Float64Array(sab, 0, 2);   // [startedAtMs (0 = idle), generation]
const len = new Int32Array(sab, 16, 1);
const desc = new Uint8Array(sab, 20, ${DESC_BYTES});
setInterval(() => {
  const started = state[0];
  if (started > 0 && Date.now() - started > hangMs) {
    const text = Buffer.from(desc.slice(0, Math.max(0, Math.min(len[0], ${DESC_BYTES})))).toString("utf8");
    fs.writeSync(2, "\\nfuzz HANG: a single parse ran longer than " + hangMs + " ms; killing the process.\\n" + text + "\\n");
    process.kill(process.pid, "SIGKILL");
  }
}, Math.max(50, Math.min(1000, hangMs / 10)));
`;

export interface Watchdog {
  /** mark the start of a case; `describe` is printed if it hangs */
  begin(describe: string): void;
  /** mark the end of the case */
  end(): void;
  /** stop the watchdog thread */
  stop(): Promise<void>;
}

export function startWatchdog(hangMs: number): Watchdog {
  const sab = new SharedArrayBuffer(20 + DESC_BYTES);
  const state = new Float64Array(sab, 0, 2);
  const len = new Int32Array(sab, 16, 1);
  const desc = new Uint8Array(sab, 20, DESC_BYTES);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sab, hangMs } });
  worker.unref();
  return {
    begin(describe: string) {
      const b = Buffer.from(describe, 'utf8').subarray(0, DESC_BYTES);
      desc.set(b);
      len[0] = b.length;
      state[0] = Date.now();
    },
    end() {
      state[0] = 0;
    },
    async stop() {
      await worker.terminate();
    },
  };
}
