// The kcdemo report in a real browser (issue 17): Debian's headless chromium
// (scripts/setup.sh installs it), driven over the DevTools protocol on a pipe
// (./chromium.ts), opens the report from disk, shows the figures the CLI
// prints, and a real mouse click on kcdemo.c's faulty line (341) shows its
// legal set and the violation the loader reported in a real e2e run
// (test/fixtures/report/kcdemo-loader.log). Screenshots are saved under
// .cache/report-artifacts/ as test artifacts; each page's load time is
// checked against the one-second budget.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseLoaderLog, summaryLines, writeReport, type WrittenReport } from '../../src/report/index.js';
import { Browser, findChromium } from './chromium.js';
import { kcdemoBugLine, kcdemoPolicy, LOADER_LOG, ROOT } from './kcdemo.js';

const ARTIFACTS = join(ROOT, '.cache', 'report-artifacts');

describe('the kcdemo report in headless chromium', () => {
  let report: WrittenReport;
  let browser: Browser;
  const url = (page: string, hash = '') => `${pathToFileURL(join(ROOT, '.cache', 'report-test', 'browser', 'report', page)).href}${hash}`;

  beforeAll(async () => {
    const chromium = findChromium();
    if (!chromium) throw new Error('chromium is not installed: run scripts/setup.sh (apt-get install chromium)');
    const { policy, dir } = await kcdemoPolicy('browser');
    report = await writeReport(policy, join(dir, 'report'), { events: parseLoaderLog(readFileSync(LOADER_LOG, 'utf8')) });
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await Browser.launch(chromium, 1500, 1000);
    return async () => browser.close();
  }, 300_000);

  /** Milliseconds from navigation start to the end of the load event, as the page measured it. */
  const loadTime = () => browser.eval<number>('performance.getEntriesByType("navigation")[0].loadEventEnd');

  it('shows the overview with the figures the CLI prints', async () => {
    await browser.goto(url('index.html'));
    expect(await loadTime()).toBeLessThan(1000);
    const summary = await browser.eval<string>('document.getElementById("summary").textContent');
    expect(summary.split('\n')).toEqual(summaryLines(report.model));
    // the figures themselves are checked against the CLI's in model.test.ts; here, that the page shows them
    const f = report.model.figures;
    expect(summary).toContain(
      `machine sites    ${f.map.sites}; statically safe ${f.map.staticallySafeSites} (rsp ${f.map.safeBy.rsp}, rbp ${f.map.safeBy.rbp}, legal globals ${f.map.safeBy.global}, covered by an earlier check ${f.map.safeBy.covered}); need a run-time check ${f.map.checkedSites}`,
    );
    expect(summary).toContain(`site programs    ${f.emit.programs} from ${f.map.sites} machine sites`);
    // the file table's row of kcdemo.c: every access, one violated line
    const row = await browser.eval<string[]>(
      'Array.from(document.querySelectorAll("table[data-table=files] tr")[1].cells).map(function(c){return c.textContent})',
    );
    expect(row[0]).toMatch(/kcdemo\.c$/);
    expect(Number(row[1])).toBe(report.model.figures.analyze.accesses);
    expect(Number(row[3])).toBe(1);
    const runText = await browser.eval<string>('document.body.textContent');
    expect(runText).toContain('9 violations');
    writeFileSync(join(ARTIFACTS, 'kcdemo-index.png'), await browser.screenshot());
    expect(browser.console).toEqual([]);
  });

  it('a click on kcdemo.c:341 shows its legal set and the violation', async () => {
    const line = kcdemoBugLine();
    expect(line).toBe(341);
    const page = report.model.files.find((f) => f.file.endsWith('kcdemo.c'))!.page;
    await browser.goto(url(page));
    expect(await loadTime()).toBeLessThan(1000);
    expect(await browser.eval<string>('document.getElementById("panel").textContent')).toContain('Select a marked line');
    expect(await browser.eval<string>(`document.getElementById("L${line}").getAttribute("data-status")`)).toBe('violated');
    await browser.click(`#L${line} > span`);
    await browser.eval('new Promise(function(r){requestAnimationFrame(function(){requestAnimationFrame(r)})})');
    expect(await browser.eval<string>('location.hash')).toBe(`#L${line}`);
    expect(await browser.eval<boolean>(`document.getElementById("L${line}").classList.contains("sel")`)).toBe(true);
    const panel = await browser.eval<string>('document.getElementById("panel").textContent');
    expect(panel).toContain(`kcdemo.c:${line}`);
    // the legal set: the note buffer's own allocation site, nothing else
    expect(panel).toMatch(/Legal set \(1 entry\)/);
    expect(panel).toMatch(/slab allocation sites \(1\)buf@kcdemo_note_alloc:\d+:\d+/);
    // the machine sites and the violation the loader reported at them
    expect(panel).toContain('kcdemo_note+0xbe');
    expect(panel).toContain('Violations (9)');
    expect(panel).toMatch(
      /9× region slab, target owner buf@kcdemo_note_alloc:\d+:\d+ from kmalloc_trace in kcdemo_note_alloc \(kcdemo\.c:\d+\), task sh \(\d+\)/,
    );
    // the first captured violation's address and a frame of its stack
    const first = parseLoaderLog(readFileSync(LOADER_LOG, 'utf8')).violations[0]!;
    expect(panel).toContain(first.addr);
    expect(panel).toContain(first.stack.find((f) => f.startsWith('kcdemo_write+'))!);
    writeFileSync(join(ARTIFACTS, 'kcdemo-line341.png'), await browser.screenshot());
    expect(browser.console).toEqual([]);
  });

  it('the violations and allocation pages link back to the line', async () => {
    await browser.goto(url('violations.html'));
    expect(await loadTime()).toBeLessThan(1000);
    const rows = await browser.eval<number>('document.querySelectorAll("table[data-table=violations] tr.viol").length');
    expect(rows).toBe(9);
    const href = await browser.eval<string>('document.querySelector("table[data-table=violations] tr.viol a").getAttribute("href")');
    expect(href).toMatch(/#L341$/);
    await browser.goto(url('allocations.html'));
    const text = await browser.eval<string>('document.querySelector("table[data-table=allocations]").textContent');
    expect(text).toContain('kcdemo_note_alloc');
    expect(text).toContain('tracked');
  });
});
