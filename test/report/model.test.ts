// The report model (issue 17): on the kcdemo policy its figures equal what
// `kcompart analyze`, `map` and `emit` compute for the same policy, and the
// loader log of a real e2e run is matched site by site; the loader's lines
// parse in every form; everything from inputs is escaped on every page; a
// missing source is named on its page; --source-root relocates sources; the
// CLI prints the same summary lines.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { emitBpf } from '../../src/emit/index.js';
import { writePolicy, type Access, type Policy } from '../../src/policy/index.js';
import {
  buildReport,
  candidatePaths,
  eventsToJsonl,
  loadSource,
  loadSources,
  parseEvents,
  parseLoaderLog,
  renderReport,
  summaryLines,
  writeReport,
  type ReportModel,
  type RunEvents,
} from '../../src/report/index.js';
import { kcdemoBugLine, kcdemoPolicy, LOADER_LOG, ROOT } from './kcdemo.js';

describe('loader events', () => {
  const text = readFileSync(LOADER_LOG, 'utf8');
  it('reads the captured kcdemo loader log: violations with stacks, counters, attached', () => {
    const ev = parseLoaderLog(text);
    expect(ev.format).toBe('loader-log');
    expect(ev.violations).toHaveLength(9);
    const v = ev.violations[0]!;
    expect(v).toMatchObject({
      site: 34,
      line: 341,
      column: 11,
      function: 'kcdemo_note',
      symbol: 'kcdemo_note',
      offset: 0xbe,
      region: 'slab',
      comm: 'sh',
      phase: 'enforce',
    });
    expect(v.file).toMatch(/kcdemo\.c$/);
    expect(v.alloc).toMatch(/kcdemo_note_alloc:\d+$/);
    expect(v.stack[0]).toBe('kcdemo_note+0xbf');
    expect(v.stack).toContain('vfs_write+0x12e');
    expect(ev.counters.map((c) => c.when)).toEqual(['audit-end', 'now', 'final']);
    expect(ev.counters[2]!.values.violations).toBe(9);
    expect(ev.attached).toMatchObject({ sites: 55, refused: 0 });
    expect(ev.refusals).toEqual([]);
  });
  it('reads a guest log through its loader section only (a previewed refusal counts once)', () => {
    const refusal = 'KC-REFUSED site kc_site_3 at "ip6_\\x22odd"+0x1f: Invalid argument';
    const guest = `KC-E2E-REFUSED 1\n${refusal}\n---- loader ----\n${text}\n${refusal}\n---- dmesg ----\n${refusal}\n`;
    const ev = parseEvents(guest);
    expect(ev.format).toBe('guest-log');
    expect(ev.refusals).toEqual([
      { type: 'refused', what: 'site', program: 'kc_site_3', symbol: 'ip6_"odd', offset: 0x1f, reason: 'Invalid argument' },
    ]);
    expect(ev.violations).toHaveLength(9);
  });
  it('round-trips through JSON lines', () => {
    const ev = parseLoaderLog(text);
    const back = parseEvents(eventsToJsonl(ev));
    expect(back.format).toBe('jsonl');
    expect(back.violations).toEqual(ev.violations);
    expect(back.counters).toEqual(ev.counters);
    expect(back.attached).toEqual(ev.attached);
    expect(() => parseEvents('{"type":"nope"}\n')).toThrow(/line 1/);
  });
});

describe('the kcdemo report model', () => {
  let policy: Policy;
  let model: ReportModel;
  let events: RunEvents;
  let analyzeSummary: Awaited<ReturnType<typeof kcdemoPolicy>>['summary'];
  let mapStats: Awaited<ReturnType<typeof kcdemoPolicy>>['map'];
  beforeAll(async () => {
    const k = await kcdemoPolicy('model');
    policy = k.policy;
    analyzeSummary = k.summary;
    mapStats = k.map;
    events = parseLoaderLog(readFileSync(LOADER_LOG, 'utf8'));
    model = buildReport(policy, { events, sources: loadSources(new Set(policy.accesses.map((a) => a.location.at(-1)!.file))) });
  }, 300_000);

  it('has the figures kcompart analyze prints', () => {
    const a = model.figures.analyze;
    expect(a.accesses).toBe(analyzeSummary.accesses);
    expect(a.legalSetSize).toEqual(analyzeSummary.legalSetSize);
    expect(a.anyShare).toBeCloseTo(analyzeSummary.anyShare, 10);
    expect(a.reasons.slice(0, 8)).toEqual(analyzeSummary.topReasons);
    expect(a.sitesByKind).toEqual(analyzeSummary.sites.byKind);
    expect(a.allocationSites).toBe(analyzeSummary.sites.total);
  });
  it('has the figures kcompart map prints', () => {
    const m = model.figures.map;
    expect(m).toMatchObject({
      accesses: mapStats.accesses,
      mapped: mapStats.mapped,
      exact: mapStats.exact,
      ambiguous: mapStats.ambiguous,
      unmapped: mapStats.unmapped,
      sites: mapStats.sites,
      staticallySafeSites: mapStats.staticallySafeSites,
      safeBy: mapStats.safeBy,
      checkedSites: mapStats.checkedSites,
    });
  });
  it("has the figures kcompart emit prints, and the emitter's program ids", () => {
    const e = emitBpf(policy, { name: 'kcdemo' });
    expect(model.figures.emit.programs).toBe(e.stats.programs);
    expect(model.figures.emit.binarySites).toBe(e.stats.binarySites);
    expect(model.figures.emit.skipped).toEqual(e.stats.skipped);
    expect(model.figures.emit.merged).toBe(e.stats.merged);
    expect(model.figures.emit.allocations).toEqual(e.stats.allocations);
    // every emitted program is the site the model numbers so
    for (const s of e.sites) {
      const owner = model.accesses.find((a) => a.id === s.access)!;
      expect(owner.sites.some((x) => x.program === s.id && x.symbol === s.symbol && x.offset === s.offset)).toBe(true);
    }
    // statuses add up
    const t = model.totals.sites;
    expect(t.checked + t.refused).toBe(e.stats.binarySites - Object.values(e.stats.skipped).reduce((x, y) => x + y, 0));
    expect(Object.values(model.totals.accesses).reduce((x, y) => x + y, 0)).toBe(policy.accesses.length);
  });
  it("matches every violation of the real run to its program and probe, at kcdemo.c's faulty line", () => {
    expect(model.violations).toHaveLength(9);
    // if this fails, kcdemo's code changed since the fixture was captured: re-run `npm run e2e` and recapture it
    expect(model.violations.every((v) => v.matchedBy === 'program')).toBe(true);
    const line = kcdemoBugLine();
    for (const v of model.violations) {
      const a = model.accesses[v.access!]!;
      expect(a.anchor?.line).toBe(line);
      expect(a.anchor?.file).toMatch(/kcdemo\.c$/);
      expect(model.allocations[v.owner!]!.site.caller).toBe('kcdemo_note_alloc');
    }
    const f = model.files.find((x) => x.file.endsWith('kcdemo.c'))!;
    const l = f.lines.find((x) => x.line === line)!;
    expect(l.status).toBe('violated');
    expect(l.violations).toBe(9);
    expect(model.figures.run).toMatchObject({ violations: 9, refusedSitePrograms: 0 });
  });
  it('marks refused programs and allocation probes from KC-REFUSED lines', () => {
    const checked = model.accesses.flatMap((a) => a.sites).find((s) => s.status === 'checked' && s.program !== undefined)!;
    const probe = model.allocations.find((x) => x.probeStatus === 'tracked')!.site.probes![0]!;
    const log =
      `KC-REFUSED site kc_site_${checked.program} at "${checked.symbol}"+0x${checked.offset.toString(16)}: Invalid argument\n` +
      `KC-REFUSED alloc kc_alloc_0 at "${probe.symbol}"+0x${probe.offset.toString(16)}: Cannot assign requested address\n`;
    const m = buildReport(policy, { events: parseLoaderLog(log) });
    const shared = model.accesses.flatMap((a) => a.sites).filter((s) => s.program === checked.program).length;
    expect(m.totals.sites.refused).toBe(shared);
    expect(m.totals.sites.checked).toBe(model.totals.sites.checked - shared);
    expect(m.accesses.some((a) => a.status === 'refused')).toBe(true);
    expect(m.allocations.find((x) => x.site.probes?.[0] === probe)!.probeStatus).toBe('refused');
    expect(m.figures.run).toMatchObject({
      refusedSitePrograms: 1,
      refusedOtherProbes: 1,
      refusedReasons: { 'Invalid argument': 1, 'Cannot assign requested address': 1 },
    });
  });
  it("reads the compartment source from the debug info's path", () => {
    expect(model.files).toHaveLength(1);
    expect(model.files[0]!.source.text).toContain('note[i] = ');
  });
  it('the CLI prints the same summary and writes the pages', async () => {
    const cli = join(ROOT, 'dist/src/cli/main.js');
    if (!existsSync(cli)) throw new Error(`${cli} missing: run scripts/setup.sh (it builds dist/)`);
    const dir = mkdtempSync(join(tmpdir(), 'kc-report-cli-'));
    await writePolicy(join(dir, 'p.json'), policy);
    const r = spawnSync(process.execPath, [cli, 'report', join(dir, 'p.json'), '--events', LOADER_LOG, '-o', join(dir, 'out')], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, summaryLines(model).length)).toEqual(summaryLines(model));
    expect(r.stdout).toContain(`wrote            ${join(dir, 'out', 'index.html')}`);
    expect(existsSync(join(dir, 'out', model.files[0]!.page))).toBe(true);
    const help = spawnSync(process.execPath, [cli, 'report', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: kcompart report/);
    const bad = spawnSync(process.execPath, [cli, 'report', join(dir, 'p.json')], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
  });
});

/** A small policy whose every name is hostile. */
function hostilePolicy(file: string): Policy {
  const evil = '<img src=x onerror=alert(1)>"\'&';
  const frame = { file, line: 2, column: 3, function: `f${evil}` };
  const access: Access = {
    id: `m:f${evil}:0`,
    module: `m${evil}`,
    function: `f${evil}`,
    op: 'store',
    width: 8,
    location: [frame],
    legal: {
      any: false,
      stack: true,
      globals: [`g${evil}`],
      slabCaches: [`c${evil}`],
      slabSites: [`s${evil}`],
      buddySites: [],
      vmallocCallers: [`v${evil}`],
      percpu: false,
      vmemmap: false,
      reasons: [{ kind: 'other', detail: `d${evil}</script><script>alert(2)</script>` }],
    },
    binary: [
      {
        object: `o${evil}.o`,
        symbol: `f${evil}`,
        offset: 16,
        section: '.text',
        operand: { base: 'rax', scale: 1, displacement: 8, width: 8 },
        confidence: 'exact',
      },
    ],
  };
  return {
    schema: 'kcompart.policy',
    version: 1,
    generator: { tool: 'kcompart', version: `0${evil}` },
    compartment: { name: `c${evil}`, modules: [], context: [], functions: [`f${evil}`] },
    allocationSites: [
      {
        id: `s${evil}`,
        kind: 'slab',
        allocator: `kmalloc${evil}`,
        caller: `f${evil}`,
        module: 'm',
        location: [frame],
        type: {
          name: `struct t${evil}`,
          kind: 'struct',
          evidence: [{ kind: 'debug-variable', type: `struct t${evil}` }],
          conflicts: [{ type: `u${evil}`, evidence: [] }],
        },
        probes: [{ object: 'o', symbol: `f${evil}`, offset: 20, callOffset: 15, section: '.text', confidence: 'exact' }],
      },
    ],
    caches: [],
    accesses: [access],
  };
}

describe('escaping and missing sources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kc-report-esc-'));
  const srcFile = join(dir, 'a<b>.c');
  writeFileSync(srcFile, 'int x;\n  p->q = "</script><script>alert(3)</script>";\n');
  const violation = `KC-VIOLATION site=0 at="${srcFile}:2:3" function="f" probe="f\\x3cimg\\x3e+0x10" access="x" addr=0x10 region=slab object=0x0 cache=0x0 alloc=none pid=1 comm="<b>sh\\x22" stack_id=1\nKC-STACK <i>evil+0x1\n`;

  it('escapes every input on every page', () => {
    const p = hostilePolicy(srcFile);
    const m = buildReport(p, { events: parseLoaderLog(violation), sources: loadSources([srcFile]) });
    expect(m.violations[0]!.event.comm).toBe('<b>sh"');
    for (const [name, html] of renderReport(m)) {
      expect(html, name).not.toMatch(/<img/);
      expect(html, name).not.toMatch(/<script>alert/);
      expect(html, name).not.toMatch(/<b>sh/);
      expect(html, name).not.toMatch(/<i>evil/);
      // only the page's own script elements
      const scripts = html.match(/<script[ >]/g) ?? [];
      expect(scripts.length, name).toBeLessThanOrEqual(2);
      expect((html.match(/<\/script>/g) ?? []).length, name).toBe(scripts.length);
    }
    const page = renderReport(m).get(m.files[0]!.page)!;
    expect(page).toContain('&lt;/script&gt;&lt;script&gt;alert(3)');
    // the data block reads back to the original strings
    const json = /<script type="application\/json" id="kc-data">(.*?)<\/script>/s.exec(page)![1]!;
    expect(JSON.parse(json).acc[0].fn).toBe(p.accesses[0]!.function);
  });
  it('names a missing source on its page and still lists its lines', () => {
    const p = hostilePolicy('/nonexistent/dir/gone.c');
    const m = buildReport(p, { sources: loadSources(['/nonexistent/dir/gone.c']) });
    expect(m.files[0]!.source.missing).toMatch(/not found/);
    const page = renderReport(m).get(m.files[0]!.page)!;
    expect(page).toContain('Source not available');
    expect(page).toContain('id="L2"');
    expect(renderReport(m).get('index.html')).toContain('missing');
  });
  it('relocates sources with --source-root DIR and OLD=NEW', () => {
    const root = mkdtempSync(join(tmpdir(), 'kc-report-root-'));
    mkdirSync(join(root, 'net', 'ipv6'), { recursive: true });
    writeFileSync(join(root, 'net', 'ipv6', 'route.c'), 'x\n');
    const recorded = '/work/corpus/linux-source-6.1/net/ipv6/route.c';
    expect(candidatePaths(recorded, { sourceRoots: [root] })).toContain(join(root, 'net/ipv6/route.c'));
    expect(loadSource(recorded, { sourceRoots: [root] }).text).toBe('x\n');
    expect(loadSource(recorded, { sourceRoots: [`/work/corpus/linux-source-6.1=${root}`] }).path).toBe(join(root, 'net/ipv6/route.c'));
    expect(loadSource(recorded).missing).toMatch(/--source-root/);
  });
  it('writes the pages', async () => {
    const r = await writeReport(hostilePolicy(srcFile), join(dir, 'out'));
    expect(r.pages.map((x) => x.path.split('/').pop()).sort()).toEqual(
      ['allocations.html', 'index.html', r.model.files[0]!.page, 'violations.html'].sort(),
    );
    expect(r.missingSources).toEqual([]);
  });
});
