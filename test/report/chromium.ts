// Owns driving Debian's headless chromium for the report's browser tests and
// measurements, with no npm dependency: chromium is started with
// --remote-debugging-pipe, which speaks the DevTools protocol as
// NUL-terminated JSON messages on file descriptors 3 (to chromium) and 4
// (from chromium) — no port to pick or race for, no WebSocket client needed
// (Node 20 has none without a flag). One page target is attached in flat
// session mode; the helpers navigate, evaluate, click at an element's
// centre with real mouse events, and capture screenshots.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The chromium binary (Debian's `chromium` package), or undefined when it is not installed. */
export function findChromium(): string | undefined {
  for (const p of [process.env['KCOMPART_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && existsSync(p)) return p;
  }
  return undefined;
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  method: string;
}

/** A headless chromium with one page. */
export class Browser {
  private readonly proc: ChildProcess;
  private readonly out: Writable;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners: { method: string; fn: (p: Record<string, unknown>) => void }[] = [];
  private sessionId = '';
  private readonly profile: string;
  /** Console messages and exceptions of the page. */
  readonly console: string[] = [];

  private constructor(binary: string, width: number, height: number) {
    this.profile = mkdtempSync(join(tmpdir(), 'kc-chromium-'));
    this.proc = spawn(
      binary,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--no-default-browser-check',
        '--disable-extensions',
        '--hide-scrollbars',
        '--mute-audio',
        `--window-size=${width},${height}`,
        `--user-data-dir=${this.profile}`,
        '--remote-debugging-pipe',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    this.out = this.proc.stdio[3] as Writable;
    const input = this.proc.stdio[4] as Readable;
    let buf = Buffer.alloc(0);
    input.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (let z = buf.indexOf(0); z >= 0; z = buf.indexOf(0)) {
        const msg = JSON.parse(buf.subarray(0, z).toString('utf8')) as {
          id?: number;
          method?: string;
          params?: Record<string, unknown>;
          result?: Record<string, unknown>;
          error?: { message: string };
        };
        buf = buf.subarray(z + 1);
        if (msg.id !== undefined) {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (p) msg.error ? p.reject(new Error(`${p.method}: ${msg.error.message}`)) : p.resolve(msg.result ?? {});
        } else if (msg.method) {
          for (const l of this.listeners) if (l.method === msg.method) l.fn(msg.params ?? {});
        }
      }
    });
    this.proc.stderr!.resume();
    this.proc.on('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited during ${p.method}`));
      this.pending.clear();
    });
  }

  /** Starts chromium and attaches to a fresh page of `width`×`height` CSS pixels. */
  static async launch(binary: string, width = 1500, height = 1000): Promise<Browser> {
    const b = new Browser(binary, width, height);
    const { targetId } = (await b.send('Target.createTarget', { url: 'about:blank' }, false)) as { targetId: string };
    const { sessionId } = (await b.send('Target.attachToTarget', { targetId, flatten: true }, false)) as { sessionId: string };
    b.sessionId = sessionId;
    await b.send('Page.enable');
    await b.send('Runtime.enable');
    await b.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    b.on('Runtime.consoleAPICalled', (p) =>
      b.console.push(`console.${String(p['type'])}: ${JSON.stringify((p['args'] as { value?: unknown }[]).map((a) => a.value))}`),
    );
    b.on('Runtime.exceptionThrown', (p) =>
      b.console.push(
        `exception: ${JSON.stringify((p['exceptionDetails'] as { exception?: { description?: string } }).exception?.description ?? p)}`,
      ),
    );
    return b;
  }

  /** Sends one protocol command (to the page session unless `page` is false). */
  send(method: string, params: Record<string, unknown> = {}, page = true, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const msg = JSON.stringify({ id, method, params, ...(page ? { sessionId: this.sessionId } : {}) });
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        method,
        resolve: (v) => {
          clearTimeout(t);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.out.write(`${msg}\0`);
    });
  }

  on(method: string, fn: (p: Record<string, unknown>) => void): void {
    this.listeners.push({ method, fn });
  }

  /** Navigates and waits for the load event; returns the wall-clock milliseconds from the request to the load event. */
  async goto(url: string, timeoutMs = 60_000): Promise<number> {
    const t0 = performance.now();
    const loaded = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`load of ${url}: timed out`)), timeoutMs);
      this.on('Page.loadEventFired', () => {
        clearTimeout(t);
        resolve();
      });
    });
    const r = await this.send('Page.navigate', { url });
    if (r['errorText']) throw new Error(`navigate ${url}: ${String(r['errorText'])}`);
    await loaded;
    this.listeners.splice(0, this.listeners.length, ...this.listeners.filter((l) => l.method !== 'Page.loadEventFired'));
    return performance.now() - t0;
  }

  /** Evaluates an expression in the page and returns its value (awaiting a promise). */
  async eval<T>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r['exceptionDetails']) throw new Error(`evaluate ${expression.slice(0, 80)}: ${JSON.stringify(r['exceptionDetails'])}`);
    return (r['result'] as { value: T }).value;
  }

  /** Scrolls the element into view and clicks its centre (or a point `dx` from its left edge) with real mouse events. */
  async click(selector: string, dx?: number): Promise<void> {
    const box = await this.eval<{ x: number; y: number; w: number; h: number } | null>(
      `(function(){var e=document.querySelector(${JSON.stringify(selector)});if(!e)return null;e.scrollIntoView({block:"center"});var r=e.getBoundingClientRect();return {x:r.left,y:r.top,w:r.width,h:r.height};})()`,
    );
    if (!box) throw new Error(`click: no element ${selector}`);
    const x = box.x + (dx ?? box.w / 2),
      y = box.y + box.h / 2;
    await this.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y });
    await this.send('Input.dispatchMouseEvent', { type: 'mousePressed', x, y, button: 'left', clickCount: 1 });
    await this.send('Input.dispatchMouseEvent', { type: 'mouseReleased', x, y, button: 'left', clickCount: 1 });
  }

  /** A PNG of the viewport. */
  async screenshot(): Promise<Buffer> {
    const r = await this.send('Page.captureScreenshot', { format: 'png' });
    return Buffer.from(String(r['data']), 'base64');
  }

  async close(): Promise<void> {
    try {
      await this.send('Browser.close', {}, false, 5000);
    } catch {
      /* already gone */
    }
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

/** Runs `fn` with a launched browser, closing it afterwards. */
export async function withBrowser<T>(binary: string, fn: (b: Browser) => Promise<T>, width?: number, height?: number): Promise<T> {
  const b = await Browser.launch(binary, width, height);
  try {
    return await fn(b);
  } finally {
    await b.close();
  }
}
