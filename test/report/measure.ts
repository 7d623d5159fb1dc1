// Owns measuring a written report's pages in headless chromium (issue 17's
// one-second budget): every page is loaded from disk and its navigation
// timing read (load event end, from navigation start); on the largest source
// page a marked line is clicked and the time until the panel shows it is
// measured. Run: npx vite-node test/report/measure.ts REPORT_DIR
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findChromium, withBrowser } from './chromium.js';

const dir = resolve(process.argv[2] ?? 'out/kcdemo/report');
const pages = readdirSync(dir)
  .filter((f) => f.endsWith('.html'))
  .map((f) => ({ f, bytes: statSync(join(dir, f)).size }))
  .sort((a, b) => b.bytes - a.bytes);
await withBrowser(findChromium()!, async (b) => {
  const rows: { f: string; kib: number; load: number; wall: number }[] = [];
  for (const p of pages) {
    const wall = await b.goto(pathToFileURL(join(dir, p.f)).href);
    const load = await b.eval<number>('performance.getEntriesByType("navigation")[0].loadEventEnd');
    rows.push({ f: p.f, kib: Math.round(p.bytes / 1024), load: Math.round(load), wall: Math.round(wall) });
  }
  rows.sort((a, b) => b.load - a.load);
  for (const r of rows.slice(0, 8))
    console.log(`${r.f.padEnd(36)} ${String(r.kib).padStart(6)} KiB  load ${String(r.load).padStart(5)} ms  (wall ${r.wall} ms)`);
  console.log(`pages ${rows.length}; slowest load ${rows[0]!.load} ms; median ${rows[Math.floor(rows.length / 2)]!.load} ms`);
  const largest = pages.find((p) => p.f.startsWith('src-'));
  if (largest) {
    await b.goto(pathToFileURL(join(dir, largest.f)).href);
    const ms = await b.eval<number>(
      `(function(){var l=document.querySelectorAll(".l.w");var t=l[Math.floor(l.length/2)];var t0=performance.now();t.click();return new Promise(function(r){requestAnimationFrame(function(){requestAnimationFrame(function(){r(performance.now()-t0)})})});})()`,
    );
    console.log(`${largest.f}: click on a marked line to painted panel ${ms.toFixed(0)} ms`);
  }
});
