// Owns turning a report model into HTML pages (strings): the overview
// (index.html: figures, status by region and by widening reason, charts, the
// file list), one page per compartment source file (the source with each
// line that writes marked by status; a click, or a #L<line> hash, shows the
// line's accesses, legal sets, widening reasons, machine sites and run-time
// violations), violations.html and allocations.html. Every page is
// self-contained (inline CSS, JS and SVG; no external asset) and opens from
// disk. Everything from inputs goes through ./escape.ts: element text and
// attributes by esc(), data for the page script by jsonForScript(), shown by
// the script with textContent only.
import { barChart, histogram, stackedBar, type Bar } from './charts.js';
import { esc, jsonForScript } from './escape.js';
import {
  ACCESS_STATUSES,
  REGIONS,
  SITE_STATUSES,
  describeReason,
  type AccessStatus,
  type AccessView,
  type FileView,
  type ReportModel,
  type SiteStatus,
  type StatusCounts,
  type ViolationView,
} from './model.js';
import { summaryLines } from './text.js';

/** Colours and words of the access statuses. */
export const ACCESS_STATUS_INFO: Readonly<Record<AccessStatus, { color: string; label: string; help: string }>> = {
  violated: { color: '#c0182b', label: 'violation', help: 'a run reported a write outside the legal set' },
  any: { color: '#e67e22', label: 'any', help: 'widened to any memory: never checked' },
  unmapped: { color: '#8e44ad', label: 'unmapped', help: 'no machine instruction found: not checked' },
  refused: { color: '#7b241c', label: 'refused', help: 'a site program was refused at attach: not checked' },
  unchecked: {
    color: '#b7950b',
    label: 'no program',
    help: 'some machine site has no program (no operand, rip-relative outside the set, unsupported register)',
  },
  checked: { color: '#2e86c1', label: 'checked', help: 'every machine site is checked at run time or statically safe' },
  safe: { color: '#229954', label: 'safe', help: 'every machine site is statically safe' },
};

/** Colours and words of the machine-site statuses. */
export const SITE_STATUS_INFO: Readonly<Record<SiteStatus, { color: string; label: string }>> = {
  'statically-safe': { color: '#229954', label: 'statically safe' },
  checked: { color: '#2e86c1', label: 'checked' },
  refused: { color: '#7b241c', label: 'refused at attach' },
  'legal-any': { color: '#e67e22', label: 'any' },
  unmapped: { color: '#8e44ad', label: 'unmapped' },
  'no-operand': { color: '#7f8c8d', label: 'no operand' },
  'rip-relative': { color: '#17a589', label: 'rip-relative' },
  'unsupported-register': { color: '#935116', label: 'unsupported register' },
  'init-text': { color: '#a6acaf', label: 'init text (freed before the load)' },
};

const REASON_COLOR = '#d35400';

/** Source lines per chunk of a source page (see the .ck rule). */
const CHUNK = 200;

const CSS = `
:root{--fg:#1c2833;--mut:#5d6d7e;--bd:#d5d8dc;--bg:#fbfcfc;--hl:#fdf2d0}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{padding:10px 18px;background:#1b2631;color:#fff;display:flex;gap:18px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:17px;margin:0;font-weight:600}
header a{color:#aed6f1;text-decoration:none}header a:hover{text-decoration:underline}
header .sub{color:#abb2b9;font-size:12px}
main{padding:14px 18px}
h2{font-size:16px;margin:22px 0 8px;border-bottom:1px solid var(--bd);padding-bottom:3px}
h3{font-size:14px;margin:14px 0 6px}
table{border-collapse:collapse;font-size:13px;margin:4px 0 10px}
th,td{border:1px solid var(--bd);padding:3px 7px;text-align:left;vertical-align:top}
th{background:#eaeded;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.z{color:#bbb}
pre.sum{background:#f4f6f6;border:1px solid var(--bd);padding:8px 10px;font-size:12.5px;overflow-x:auto}
.chart text{font-size:12px;fill:#1c2833}
.grid{display:flex;flex-wrap:wrap;gap:24px}
.badge{display:inline-block;padding:0 6px;border-radius:9px;color:#fff;font-size:12px;white-space:nowrap}
.mut{color:var(--mut)}
.warn{background:#fdebd0;border:1px solid #f0b27a;padding:6px 10px;margin:8px 0}
code,.mono{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
.legend span{margin-right:10px;white-space:nowrap}
.dot{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.minibar{display:flex;width:160px;height:10px;background:#eee}
.minibar i{display:block;height:10px}
/* source pages */
.src-wrap{display:flex;gap:14px;align-items:flex-start}
.src{flex:1 1 auto;min-width:0;border:1px solid var(--bd);background:#fff;font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px;line-height:18px;overflow-x:auto;tab-size:8}
/* chunks of CHUNK lines: the browser lays out only those on screen (every line is exactly 18px high) */
.ck{content-visibility:auto;contain-intrinsic-size:auto ${CHUNK * 18}px}
.l{display:flex;white-space:pre;border-left:5px solid transparent;height:18px}
.l>a{flex:0 0 52px;text-align:right;padding-right:8px;color:#999;text-decoration:none;user-select:none}
.l>span{flex:1 1 auto}
.l.w{cursor:pointer}
.l.w:hover{background:#f2f3f4}
.l.sel{background:var(--hl)!important}
.l.w>a{color:#1c2833;font-weight:600}
.l .cnt{flex:0 0 auto;margin-left:8px;padding:0 5px;font-size:11px;color:#fff;border-radius:7px;align-self:center}
${ACCESS_STATUSES.map((s) => `.s-${s}{border-left-color:${ACCESS_STATUS_INFO[s].color}}.s-${s} .cnt{background:${ACCESS_STATUS_INFO[s].color}}`).join('\n')}
#panel{flex:0 0 520px;max-width:48vw;position:sticky;top:8px;max-height:calc(100vh - 16px);overflow:auto;border:1px solid var(--bd);background:#fff;padding:10px 12px;font-size:13px}
#panel h3{margin-top:4px}
#panel .acc{border-top:1px solid var(--bd);padding-top:8px;margin-top:8px}
#panel table{width:100%}
#panel ul{margin:3px 0 6px;padding-left:18px}
#panel details{margin:3px 0}
.chips span{display:inline-block;border:1px solid var(--bd);border-radius:8px;padding:0 6px;margin:1px 3px 1px 0;font-size:12px;background:#f8f9f9}
.viol{background:#fdedec}
`;

/** The page script of a source page: reads its JSON data block, shows a line's details on click or #L<n>. */
const FILE_JS = String.raw`
(function(){
"use strict";
var D=JSON.parse(document.getElementById("kc-data").textContent);
var P=document.getElementById("panel");
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined&&text!==null)e.textContent=String(text);return e;}
function add(p,c){p.appendChild(c);return c;}
function badge(st,info){var b=el("span","badge",info[st]?info[st].label:st);b.style.background=info[st]?info[st].color:"#777";return b;}
function hex(n){return "0x"+Number(n).toString(16);}
function row(t,cells,th){var tr=add(t,el("tr"));cells.forEach(function(c){var td=add(tr,el(th?"th":"td"));if(c instanceof Node)td.appendChild(c);else td.textContent=c===undefined?"":String(c);});return tr;}
function list(p,title,items,limit){
  if(!items.length)return;
  var d=add(p,el("details"));if(items.length<=(limit||12))d.open=true;
  add(d,el("summary",null,title+" ("+items.length+")"));
  var ul=add(d,el("ul"));items.forEach(function(x){add(ul,el("li","mono",x));});
}
function legal(p,L){
  var h=add(p,el("div","chips"));
  if(L.any){add(h,el("span",null,"any memory (not checked)"));}
  ["stack","percpu","vmemmap","foreign"].forEach(function(k){if(L[k])add(h,el("span",null,k==="foreign"?"foreign (memory the rest of the kernel allocated)":k));});
  if(L.skbHead)add(h,el("span",null,"skb head buffers (registered at run time)"));
  list(p,"slab caches",L.slabCaches);
  function al(id){return D.allocs[id]||id;}
  list(p,"slab allocation sites",L.slabSites.map(al));
  list(p,"buddy allocation sites",L.buddySites.map(al));
  list(p,"vmalloc callers",L.vmallocCallers);
  list(p,"globals",L.globals,20);
  if(L.reasons.length){add(p,el("div",null,"Widened because:"));var ul=add(p,el("ul"));L.reasons.forEach(function(r){add(ul,el("li",null,r));});}
}
function show(n){
  var prev=document.querySelector(".l.sel");if(prev)prev.classList.remove("sel");
  var line=document.getElementById("L"+n);if(line)line.classList.add("sel");
  while(P.firstChild)P.removeChild(P.firstChild);
  var idx=D.lines[n];
  if(!idx){add(P,el("p","mut","Line "+n+": no write of the compartment."));return;}
  var h=add(P,el("h3",null,D.base+":"+n+" \u2014 "+idx.length+(idx.length===1?" access":" accesses")));
  idx.forEach(function(i){
    var a=D.acc[i];var box=add(P,el("div","acc"));box.id="acc-"+i;
    var t=add(box,el("div"));t.appendChild(badge(a.status,D.astatus));
    add(t,el("b",null," "+a.op+(a.width!==undefined?" ("+a.width+" bytes)":"")+(a.callee?" via "+a.callee:"")));
    add(t,el("span","mut"," in "+a.fn));
    add(box,el("div","mut mono",a.id));
    if(a.fb)add(box,el("div","mut","unmapped, but its function's orphan writes (machine writes no access claims) are checked by "+a.fb+" against the union of the function's unmapped accesses' legal sets: this write is checked, possibly against a wider set than its own"));
    if(a.chain.length>1){var c=add(box,el("div","mut","inlined: "));c.appendChild(el("span","mono",a.chain.map(function(f){return f[3]+" "+D.strings[f[0]].split("/").pop()+":"+f[1]+":"+f[2];}).join(" \u2190 ")));}
    add(box,el("h4",null,a.any?"Legal set: any":"Legal set ("+a.size+(a.size===1?" entry":" entries")+")"));
    legal(box,D.legal[a.legal]);
    add(box,el("h4",null,"Machine sites ("+a.sites.length+")"));
    var tb=add(box,el("table"));row(tb,["site","operand","status","program"],true);
    a.sites.forEach(function(s){
      var st=el("span");st.appendChild(badge(s.status,D.sstatus));
      var extra=[];if(s.safeBy)extra.push(s.safeBy);if(s.rip)extra.push(s.rip);if(s.conf!=="exact")extra.push(s.conf);if(s.reason)extra.push(s.reason);if(s.refused)extra.push(s.refused);
      if(extra.length)st.appendChild(el("span","mut"," "+extra.join(", ")));
      var r=row(tb,[s.sym+"+"+hex(s.off),s.operand||"",st,s.prog!==undefined?"kc_site_"+s.prog+(s.shared?" (+"+s.shared+" shared)":""):""]);
      r.title=D.strings[s.obj]+" "+s.sec;
      r.cells[0].className="mono";r.cells[1].className="mono";
      if(s.v)r.className="viol";
    });
    if(a.v.length){
      add(box,el("h4",null,"Violations ("+a.v.length+")"));
      var groups={},order=[];a.v.forEach(function(k){var v=D.viol[k];var key=v.region+"\u0000"+v.owner+"\u0000"+v.comm+" ("+v.pid+")";if(!groups[key]){groups[key]=0;order.push(key);}groups[key]++;});
      var gl=add(box,el("ul"));order.forEach(function(key){var p=key.split("\u0000");var li=add(gl,el("li"));add(li,el("b",null,groups[key]+"\u00d7 "));add(li,el("span",null,"region "+p[0]+", target owner "+p[1]+", task "+p[2]));});
      var vt=add(box,el("table"));row(vt,["#","probe","address","object"],true);
      a.v.slice(0,100).forEach(function(k){var v=D.viol[k];var r=row(vt,[v.n,v.probe,v.addr,v.object]);r.className="viol";r.cells[1].className="mono";r.cells[2].className="mono";r.cells[3].className="mono";r.title=v.owner;});
      if(a.v.length>100)add(box,el("p","mut",(a.v.length-100)+" more on the violations page."));
      var first=D.viol[a.v[0]];if(first.stack.length){var d=add(box,el("details"));d.open=true;add(d,el("summary",null,"stack of violation #"+first.n));add(d,el("pre","mono",first.stack.join("\n")));}
    }else if(D.events){add(box,el("p","mut","No violation reported for this access in the run."));}
  });
}
document.querySelector(".src").addEventListener("click",function(e){
  var t=e.target;while(t&&t!==this&&!(t.classList&&t.classList.contains("l")))t=t.parentNode;
  if(!t||t===this||!t.classList.contains("w"))return;
  e.preventDefault();var n=t.id.slice(1);
  if(location.hash==="#L"+n)show(n);else location.hash="L"+n;
});
function fromHash(){var m=/^#L(\d+)$/.exec(location.hash);if(m){show(m[1]);var l=document.getElementById("L"+m[1]);if(l){var r=l.getBoundingClientRect();if(r.top<40||r.bottom>innerHeight-40)window.scrollTo(0,Math.max(0,r.top+scrollY-innerHeight/3));}}}
window.addEventListener("hashchange",fromHash);
fromHash();
document.body.setAttribute("data-ready","1");
})();
`;

function page(m: ReportModel, title: string, body: string, script = ''): string {
  const nav = [
    `<a href="index.html">Overview</a>`,
    `<a href="violations.html">Violations${m.hasEvents ? ` (${m.violations.length})` : ''}</a>`,
    `<a href="allocations.html">Allocation sites (${m.allocations.length})</a>`,
  ].join(' ');
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${esc(title)}</title><style>${CSS}</style></head><body>` +
    `<header><h1>${esc(m.title)}</h1><nav>${nav}</nav><span class="sub">${esc(m.generator)}</span></header><main>${body}</main>` +
    (script ? `<script>${script}</script>` : '<script>document.body.setAttribute("data-ready","1")</script>') +
    `</body></html>\n`
  );
}

const num = (n: number): string => `<td class="n${n ? '' : ' z'}">${n.toLocaleString('en-US')}</td>`;
const badge = (color: string, label: string, title = ''): string =>
  `<span class="badge" style="background:${color}"${title ? ` title="${esc(title)}"` : ''}>${esc(label)}</span>`;

function countsTable(caption: string, keyHeader: string, rows: readonly [string, StatusCounts][], which: 'accesses' | 'sites'): string {
  const cols = which === 'accesses' ? ACCESS_STATUSES : SITE_STATUSES;
  const info = (s: string) => (which === 'accesses' ? ACCESS_STATUS_INFO[s as AccessStatus] : SITE_STATUS_INFO[s as SiteStatus]);
  const head =
    `<tr><th>${esc(keyHeader)}</th><th class="n">${which === 'accesses' ? 'accesses' : 'machine sites'}</th>` +
    cols.map((c) => `<th class="n"><span class="dot" style="background:${info(c).color}"></span>${esc(info(c).label)}</th>`).join('') +
    '</tr>';
  const body = rows
    .map(([k, c]) => {
      const r = (which === 'accesses' ? c.accesses : c.sites) as Record<string, number>;
      const total = Object.values(r).reduce((a, b) => a + b, 0);
      return `<tr><td>${esc(k)}</td>${num(total)}${cols.map((s) => num(r[s] ?? 0)).join('')}</tr>`;
    })
    .join('');
  return `<table data-table="${esc(caption)}"><caption class="mut" style="text-align:left">${esc(caption)}</caption>${head}${body}</table>`;
}

function miniBar(counts: Readonly<Record<AccessStatus, number>>): string {
  const total = Object.values(counts).reduce((a, b) => a + b, 0) || 1;
  return `<div class="minibar">${ACCESS_STATUSES.filter((s) => counts[s])
    .map(
      (s) =>
        `<i style="width:${((100 * counts[s]) / total).toFixed(2)}%;background:${ACCESS_STATUS_INFO[s].color}" title="${esc(`${ACCESS_STATUS_INFO[s].label} ${counts[s]}`)}"></i>`,
    )
    .join('')}</div>`;
}

/** The overview page. */
export function renderIndex(m: ReportModel): string {
  const f = m.figures;
  const parts: string[] = [];
  parts.push(
    `<p class="mut">Compartment <b>${esc(m.compartment)}</b>: ${f.analyze.accesses.toLocaleString('en-US')} accesses (writes) in ${m.files.length} source files, ` +
      `${f.map.sites.toLocaleString('en-US')} machine sites, ${f.emit.programs.toLocaleString('en-US')} site programs.` +
      `${m.hasEvents ? ` Events of a run: ${m.violations.length} violations, ${(f.run?.refusedSitePrograms ?? 0) + (f.run?.refusedOtherProbes ?? 0)} probes refused.` : ' No run events given (--events).'}</p>`,
  );
  parts.push(`<h2>Summary</h2><pre class="sum" id="summary">${esc(summaryLines(m).join('\n'))}</pre>`);
  parts.push(
    `<div class="legend">${ACCESS_STATUSES.map((s) => `<span title="${esc(ACCESS_STATUS_INFO[s].help)}"><span class="dot" style="background:${ACCESS_STATUS_INFO[s].color}"></span>${esc(ACCESS_STATUS_INFO[s].label)}: ${esc(ACCESS_STATUS_INFO[s].help)}</span><br>`).join('')}</div>`,
  );
  const aBars: Bar[] = ACCESS_STATUSES.map((s) => ({
    label: ACCESS_STATUS_INFO[s].label,
    value: m.totals.accesses[s],
    color: ACCESS_STATUS_INFO[s].color,
  }));
  const sBars: Bar[] = SITE_STATUSES.map((s) => ({
    label: SITE_STATUS_INFO[s].label,
    value: m.totals.sites[s],
    color: SITE_STATUS_INFO[s].color,
  }));
  parts.push(
    `<h2>What is checked</h2><div class="grid"><div><h3>Accesses by status</h3>${stackedBar('accesses by status', aBars)}</div>` +
      `<div><h3>Machine sites by status</h3>${stackedBar('machine sites by status', sBars)}</div></div>`,
  );
  const regionRows: [string, StatusCounts][] = REGIONS.map((r) => [r, m.byRegion[r]]);
  regionRows.push(['all', m.totals]);
  parts.push(
    `<h3>Per region of the legal set</h3><p class="mut">An access is counted under every region its legal set names (so the rows add up to more than the total); <i>any</i> is a set widened to any memory.</p>` +
      countsTable('accesses by region', 'region', regionRows, 'accesses') +
      countsTable('machine sites by region', 'region', regionRows, 'sites'),
  );
  const reasonKeys = Object.keys(m.byReason).sort((x, y) => (x === 'none' ? 1 : y === 'none' ? -1 : x.localeCompare(y)));
  const reasonRows: [string, StatusCounts][] = reasonKeys.map((k) => [k === 'none' ? '(no widening)' : k, m.byReason[k]!]);
  parts.push(
    `<h3>Per widening reason</h3><p class="mut">An access is counted under each kind of reason its legal set records.</p>` +
      countsTable('accesses by widening reason', 'reason', reasonRows, 'accesses') +
      countsTable('machine sites by widening reason', 'reason', reasonRows, 'sites'),
  );
  const an = f.analyze;
  parts.push(
    `<h2>Legal sets</h2><div class="grid"><div><h3>Legal-set size (accesses not widened to any)</h3>` +
      histogram('legal-set sizes', m.legalSizes, [
        { label: 'median', at: an.legalSetSize.median },
        { label: 'p90', at: an.legalSetSize.p90 },
      ]) +
      `<p class="mut">median ${an.legalSetSize.median}, p90 ${an.legalSetSize.p90}, max ${an.legalSetSize.max}; ${an.any} accesses (${(100 * an.anyShare).toFixed(1)}%) widened to any.</p></div>` +
      `<div><h3>Widening reasons</h3>${
        an.reasons.length
          ? barChart(
              'widening reasons',
              an.reasons.map((r) => ({ label: r.kind, value: r.count, color: REASON_COLOR })),
            )
          : '<p class="mut">none</p>'
      }</div></div>`,
  );
  if (f.run) {
    const r = f.run;
    const counters = r.counters.length
      ? (() => {
          const keys = [...new Set(r.counters.flatMap((c) => Object.keys(c.values)))];
          return (
            `<table data-table="counters"><tr><th>when</th>${keys.map((k) => `<th class="n">${esc(k)}</th>`).join('')}</tr>` +
            r.counters.map((c) => `<tr><td>${esc(c.when)}</td>${keys.map((k) => num(c.values[k] ?? 0)).join('')}</tr>`).join('') +
            '</table>'
          );
        })()
      : '<p class="mut">no KC-COUNTERS line</p>';
    parts.push(
      `<h2>The run</h2><p>${r.attached ? `Attached ${esc(r.attached['sites'] ?? 0)} site programs and ${esc(r.attached['alloc_and_track'] ?? 0)} allocation/tracking probes; ` : ''}` +
        `refused <b>${r.refusedSitePrograms}</b> site programs and ${r.refusedOtherProbes} other probes${
          Object.keys(r.refusedReasons).length
            ? ` (${esc(
                Object.entries(r.refusedReasons)
                  .map(([k, n]) => `${k}: ${n}`)
                  .join('; '),
              )})`
            : ''
        }; ` +
        `<a href="violations.html"><b>${r.violations}</b> violations</a>.</p>` +
        `<h3>Counters</h3><p class="mut">The loader counts checks per region, not per site; the pages show per-site violations.</p>${counters}` +
        (m.otherRefusals.length
          ? `<h3>Refusals not matched to this policy</h3><ul>${m.otherRefusals.map((x) => `<li class="mono">${esc(`${x.what} ${x.program} at ${x.symbol}+0x${x.offset.toString(16)}: ${x.reason}`)}</li>`).join('')}</ul>`
          : '') +
        (m.notes.length ? `<h3>Loader notes</h3><ul>${m.notes.map((x) => `<li class="mono">${esc(x)}</li>`).join('')}</ul>` : ''),
    );
  }
  parts.push(
    `<h2>Source files</h2><table data-table="files"><tr><th>file</th><th class="n">accesses</th><th>status</th>` +
      ACCESS_STATUSES.map(
        (s) =>
          `<th class="n"><span class="dot" style="background:${ACCESS_STATUS_INFO[s].color}"></span>${esc(ACCESS_STATUS_INFO[s].label)}</th>`,
      ).join('') +
      `<th>source</th></tr>` +
      m.files
        .map(
          (fv) =>
            `<tr><td><a href="${esc(fv.page)}">${esc(fv.file)}</a></td>${num(fv.accesses.length)}<td>${miniBar(fv.byStatus)}</td>` +
            ACCESS_STATUSES.map((s) => num(fv.byStatus[s])).join('') +
            `<td>${fv.source.text !== undefined ? '<span class="mut">read</span>' : `<span class="warn" style="padding:0 4px" title="${esc(fv.source.missing ?? '')}">missing</span>`}</td></tr>`,
        )
        .join('') +
      '</table>',
  );
  if (m.unlocated.length) {
    parts.push(`<h3>Accesses without a source location (${m.unlocated.length})</h3>${accessTable(m, m.unlocated)}`);
  }
  return page(m, `${m.title}: overview`, parts.join('\n'));
}

function accessTable(m: ReportModel, idx: readonly number[]): string {
  return (
    `<table><tr><th>access</th><th>function</th><th>op</th><th>status</th><th>machine sites</th></tr>` +
    idx
      .map((i) => {
        const a = m.accesses[i]!;
        return (
          `<tr><td class="mono">${esc(a.id)}${a.fallback ? ` <span class="mut">(fallback for ${a.fallback.accesses.length} ${a.fallback.basis === 'unmapped' ? 'unmapped accesses' : 'accesses: none unmapped'})</span>` : ''}</td><td>${esc(a.function)}</td><td>${esc(a.op)}</td><td>${badge(ACCESS_STATUS_INFO[a.status].color, ACCESS_STATUS_INFO[a.status].label)}</td>` +
          `<td class="mono">${esc(a.sites.map((s) => `${s.symbol}+0x${s.offset.toString(16)} ${s.status}`).join('; '))}</td></tr>`
        );
      })
      .join('') +
    '</table>'
  );
}

/** Where an access is shown: its file page and line. */
function linkTo(_m: ReportModel, a: AccessView | undefined, pages: ReadonlyMap<string, string>): string {
  if (!a?.anchor) return '';
  const p = pages.get(a.anchor.file);
  const label = `${a.anchor.file.split('/').pop()}:${a.anchor.line}`;
  return p ? `<a href="${esc(p)}#L${a.anchor.line}">${esc(label)}</a>` : esc(label);
}

function ownerText(m: ReportModel, v: ViolationView): string {
  if (v.owner === undefined) return v.event.alloc;
  const al = m.allocations[v.owner]!;
  const s = al.site;
  const at = al.anchor;
  return `${s.type.name} from ${s.allocator} in ${s.caller}${at ? ` (${at.file.split('/').pop()}:${at.line})` : ''}`;
}

/** Most violation rows a page lists (the rest are counted). */
export const MAX_VIOLATION_ROWS = 2000;

/** The violations page. */
export function renderViolations(m: ReportModel): string {
  const pages = new Map(m.files.map((f) => [f.file, f.page]));
  let body: string;
  if (!m.hasEvents) body = '<p class="mut">No run events were given (<code>--events loader.log</code>).</p>';
  else if (!m.violations.length) body = '<p>The run reported no violation.</p>';
  else {
    const rows = m.violations.slice(0, MAX_VIOLATION_ROWS).map((v) => {
      const e = v.event;
      const a = v.access !== undefined ? m.accesses[v.access] : undefined;
      return (
        `<tr id="v${v.index}" class="viol"><td class="n">${v.index + 1}</td><td class="mono">kc_site_${e.site}<br>${esc(`${e.symbol}+0x${e.offset.toString(16)}`)}</td>` +
        `<td>${linkTo(m, a, pages) || esc(`${e.file}:${e.line}`)}<br><span class="mut">${esc(e.function)}</span></td>` +
        `<td class="mono">${esc(e.addr)}</td><td>${esc(e.region)}</td><td class="mono">${esc(e.object)}</td><td>${esc(ownerText(m, v))}</td>` +
        `<td class="mono">${esc(e.cache)}</td><td>${esc(e.comm)} (${esc(e.pid)})</td><td>${esc(e.phase ?? '')}</td>` +
        `<td>${e.stack.length ? `<details><summary class="mono">${esc(e.stack[0] ?? '')}</summary><pre class="mono">${esc(e.stack.join('\n'))}</pre></details>` : '<span class="mut">none</span>'}</td>` +
        `<td>${esc(v.matchedBy)}</td></tr>`
      );
    });
    body =
      `<p>${m.violations.length} violations${m.violations.length > MAX_VIOLATION_ROWS ? ` (the first ${MAX_VIOLATION_ROWS} listed)` : ''}. ` +
      `<i>Owner</i> is the allocation site the checker recorded for the object written.</p>` +
      `<table data-table="violations"><tr><th>#</th><th>site</th><th>source</th><th>address</th><th>region</th><th>object</th><th>owner</th><th>cache</th><th>task</th><th>phase</th><th>stack</th><th>matched by</th></tr>${rows.join('')}</table>`;
  }
  return page(m, `${m.title}: violations`, `<h2>Violations</h2>${body}`);
}

/** The allocation sites page. */
export function renderAllocations(m: ReportModel): string {
  const pages = new Map(m.files.map((f) => [f.file, f.page]));
  const info = {
    tracked: ['#2e86c1', 'tracked'],
    untracked: ['#b7950b', 'untracked'],
    unused: ['#7f8c8d', 'no probe needed'],
    refused: ['#7b241c', 'refused'],
  } as const;
  const rows = m.allocations.map((al) => {
    const s = al.site;
    const at = al.anchor;
    const loc = at
      ? pages.has(at.file)
        ? `<a href="${esc(pages.get(at.file)!)}#L${at.line}">${esc(`${at.file.split('/').pop()}:${at.line}`)}</a>`
        : esc(`${at.file}:${at.line}`)
      : '';
    const ev = s.type.evidence.map((e) => `${e.kind}: ${e.type}${e.detail ? ` (${e.detail})` : ''}`);
    const conflicts = (s.type.conflicts ?? []).map((c) => `${c.type}: ${c.evidence.map((e) => e.kind).join(', ')}`);
    const size = s.size ? ('constant' in s.size ? String(s.size.constant) : s.size.expression) : '';
    const probes = (s.probes ?? []).map((p) => `${p.symbol}+0x${p.offset.toString(16)} ${p.confidence}${p.reason ? ` (${p.reason})` : ''}`);
    const [color, label] = info[al.probeStatus];
    return (
      `<tr id="a${al.index}"><td class="mono">${esc(s.id)}</td><td>${esc(s.kind)}</td><td>${esc(s.allocator)}</td><td>${esc(s.caller)}<br>${loc}</td>` +
      `<td><b>${esc(s.type.name)}</b> <span class="mut">${esc(s.type.kind)}${s.type.size !== undefined ? `, ${s.type.size} bytes` : ''}</span>` +
      `${ev.length ? `<ul>${ev.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}</td>` +
      `<td>${conflicts.length ? `<ul>${conflicts.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : '<span class="mut">none</span>'}</td>` +
      `<td>${esc([s.cache, ...(s.caches ?? []).filter((c) => c !== s.cache)].filter(Boolean).join(', '))}</td><td class="mono">${esc(size)}</td><td class="mono">${esc(s.gfp ?? '')}</td>` +
      `<td class="mono">${probes.map(esc).join('<br>') || '<span class="mut">none</span>'}</td>` +
      `<td>${badge(color, label)}${al.refused.length ? `<br>${esc(al.refused.map((r) => r.reason).join('; '))}` : ''}</td>${num(al.namedBy)}${num(al.violations)}</tr>`
    );
  });
  return page(
    m,
    `${m.title}: allocation sites`,
    `<h2>Allocation sites</h2><p class="mut">Probe status: <i>tracked</i> — a probe after the call records each object, and some checked legal set names the site; ` +
      `<i>untracked</i> — named, but no probe could be placed (the check accepts any object of the kind); <i>no probe needed</i> — no checked legal set names it; <i>refused</i> — the kernel refused its probes.</p>` +
      `<table data-table="allocations"><tr><th>id</th><th>kind</th><th>allocator</th><th>caller</th><th>type and evidence</th><th>conflicts</th><th>cache</th><th>size</th><th>gfp</th><th>probes</th><th>probe status</th><th class="n">named by</th><th class="n">violations</th></tr>${rows.join('')}</table>`,
  );
}

/** The data block of a source page: only what its lines' details need. */
function fileData(m: ReportModel, f: FileView): unknown {
  const local = new Map<number, number>();
  const acc: unknown[] = [];
  const legalLocal = new Map<number, number>();
  const legal: unknown[] = [];
  const violLocal = new Map<number, number>();
  const viol: unknown[] = [];
  const allocIds = new Set<string>();
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const intern = (x: string): number => {
    let n = stringIndex.get(x);
    if (n === undefined) {
      n = strings.length;
      strings.push(x);
      stringIndex.set(x, n);
    }
    return n;
  };
  const allocByid = new Map(m.allocations.map((a) => [a.site.id, a]));
  const vIndex = (k: number): number => {
    let n = violLocal.get(k);
    if (n === undefined) {
      const v = m.violations[k]!;
      const e = v.event;
      n = viol.length;
      violLocal.set(k, n);
      viol.push({
        n: k + 1,
        probe: `${e.symbol}+0x${e.offset.toString(16)}`,
        addr: e.addr,
        region: e.region,
        object: e.object,
        owner: ownerText(m, v),
        comm: e.comm,
        pid: e.pid,
        stack: e.stack,
      });
    }
    return n;
  };
  for (const i of f.accesses) {
    const a = m.accesses[i]!;
    let li = legalLocal.get(a.legal);
    if (li === undefined) {
      const L = m.legalSets[a.legal]!;
      li = legal.length;
      legalLocal.set(a.legal, li);
      for (const id of [...L.slabSites, ...L.buddySites]) allocIds.add(id);
      legal.push({
        any: L.any,
        stack: L.stack,
        percpu: L.percpu,
        vmemmap: L.vmemmap,
        foreign: L.foreign ?? false,
        skbHead: L.classes?.includes('skb-head') ?? false,
        globals: L.globals,
        slabCaches: L.slabCaches,
        slabSites: L.slabSites,
        buddySites: L.buddySites,
        vmallocCallers: L.vmallocCallers,
        reasons: L.reasons.map(describeReason),
      });
    }
    local.set(i, acc.length);
    acc.push({
      id: a.id,
      fn: a.function,
      op: a.op,
      callee: a.callee,
      width: a.width,
      status: a.status,
      fb: a.behindFallback,
      legal: li,
      any: a.legalSize === undefined,
      size: a.legalSize,
      chain: a.chain.map((fr) => [intern(fr.file), fr.line, fr.column, fr.function]),
      sites: a.sites.map((s) => ({
        sym: s.symbol,
        off: s.offset,
        obj: intern(s.object),
        sec: s.section,
        operand: s.operand,
        conf: s.confidence,
        reason: s.reason,
        status: s.status,
        safeBy: s.safeBy,
        rip: s.rip,
        prog: s.program,
        shared: s.sharedWith,
        refused: s.refusedBecause,
        v: s.violations.length,
      })),
      v: a.violations.map(vIndex),
    });
  }
  const lines: Record<number, number[]> = {};
  for (const l of f.lines) lines[l.line] = l.accesses.map((i) => local.get(i)!);
  const allocs: Record<string, string> = {};
  for (const id of allocIds) {
    const al = allocByid.get(id);
    const at = al?.anchor;
    allocs[id] = al
      ? `${al.site.type.name} \u2190 ${al.site.allocator} in ${al.site.caller}${at ? ` (${at.file.split('/').pop()}:${at.line})` : ''} [${al.probeStatus}]`
      : id;
  }
  const astatus = Object.fromEntries(
    ACCESS_STATUSES.map((s) => [s, { label: ACCESS_STATUS_INFO[s].label, color: ACCESS_STATUS_INFO[s].color }]),
  );
  const sstatus = Object.fromEntries(SITE_STATUSES.map((s) => [s, { label: SITE_STATUS_INFO[s].label, color: SITE_STATUS_INFO[s].color }]));
  return { base: f.file.split('/').pop(), strings, acc, legal, lines, viol, allocs, astatus, sstatus, events: m.hasEvents };
}

/** The page of one source file. */
export function renderFile(m: ReportModel, f: FileView): string {
  const byLine = new Map(f.lines.map((l) => [l.line, l]));
  const out: string[] = [];
  const text = f.source.text;
  const srcLines = text !== undefined ? text.replace(/\n$/, '').split('\n') : [];
  const mark = (n: number, code: string): string => {
    const l = byLine.get(n);
    if (!l) return `<div class="l" id="L${n}"><a href="#L${n}">${n}</a><span>${code}</span></div>`;
    const title = `${l.accesses.length} ${l.accesses.length === 1 ? 'write' : 'writes'}: ${ACCESS_STATUS_INFO[l.status].label}${l.violations ? `, ${l.violations} violations` : ''}`;
    return (
      `<div class="l w s-${l.status}" id="L${n}" data-status="${l.status}" title="${esc(title)}"><a href="#L${n}">${n}</a><span>${code}</span>` +
      `<b class="cnt">${l.violations ? `${l.violations}!` : l.accesses.length}</b></div>`
    );
  };
  for (let i = 0; i < srcLines.length; i++) out.push(mark(i + 1, esc(srcLines[i]!.replace(/\r$/, ''))));
  // lines with writes the text does not have (source missing, or not the file that was compiled)
  const beyond = f.lines.filter((l) => l.line > srcLines.length || l.line === 0);
  for (const l of beyond)
    out.push(mark(l.line, `<i class="mut">(${text === undefined ? 'source not available' : 'beyond the end of this source file'})</i>`));
  const head =
    `<h2 class="mono">${esc(f.file)}</h2>` +
    (text !== undefined
      ? `<p class="mut">Read from <span class="mono">${esc(f.source.path)}</span>. ${f.accesses.length} accesses on ${f.lines.length} lines.</p>`
      : `<div class="warn" id="missing">Source not available: ${esc(f.source.missing ?? 'not read')}. The ${f.lines.length} lines with writes are listed below by number.</div>`) +
    (beyond.length && text !== undefined
      ? `<div class="warn">${beyond.length} lines with writes are beyond the end of this file: it may not be the source that was compiled.</div>`
      : '') +
    `<div class="legend">${ACCESS_STATUSES.map((s) => `<span><span class="dot" style="background:${ACCESS_STATUS_INFO[s].color}"></span>${esc(ACCESS_STATUS_INFO[s].label)} ${f.byStatus[s]}</span>`).join('')}` +
    `${f.violations ? ` <b style="color:${ACCESS_STATUS_INFO.violated.color}">${f.violations} violation events</b>` : ''}</div>` +
    `<p class="mut">Click a marked line (or open <span class="mono">#L&lt;line&gt;</span>) to see its accesses.</p>`;
  const chunks: string[] = [];
  for (let i = 0; i < out.length; i += CHUNK) {
    const n = Math.min(CHUNK, out.length - i);
    chunks.push(
      `<div class="ck"${n < CHUNK ? ` style="contain-intrinsic-size:auto ${n * 18}px"` : ''}>${out.slice(i, i + CHUNK).join('\n')}</div>`,
    );
  }
  const body =
    `${head}<div class="src-wrap"><div class="src">${chunks.join('\n')}</div><aside id="panel"><p class="mut">Select a marked line.</p></aside></div>` +
    `<script type="application/json" id="kc-data">${jsonForScript(fileData(m, f))}</script>`;
  return page(m, `${m.title}: ${f.file.split('/').pop() ?? f.file}`, body, FILE_JS);
}

/** Every page of a report: file name → HTML. */
export function renderReport(m: ReportModel): Map<string, string> {
  const pages = new Map<string, string>();
  pages.set('index.html', renderIndex(m));
  pages.set('violations.html', renderViolations(m));
  pages.set('allocations.html', renderAllocations(m));
  for (const f of m.files) pages.set(f.page, renderFile(m, f));
  return pages;
}
