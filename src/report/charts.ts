// Owns the report's inline SVG charts: a stacked bar of counts by status, a
// horizontal bar chart (widening reasons), and a histogram (legal-set sizes).
// Each returns an <svg> string with its own <title> tooltips; labels pass
// through esc(). No script, no external assets.
import { esc } from './escape.js';

/** One segment or bar: label, value, CSS colour. */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** A single stacked bar with a legend underneath (zero segments are left out of the bar, kept in the legend). */
export function stackedBar(title: string, bars: readonly Bar[], width = 640): string {
  const total = bars.reduce((n, b) => n + b.value, 0);
  const h = 22;
  let x = 0;
  const segs: string[] = [];
  for (const b of bars) {
    if (b.value <= 0 || total === 0) continue;
    const w = (b.value / total) * width;
    segs.push(
      `<rect x="${x.toFixed(2)}" y="0" width="${Math.max(w, 0.5).toFixed(2)}" height="${h}" fill="${b.color}"><title>${esc(`${b.label}: ${fmt(b.value)} (${((100 * b.value) / total).toFixed(1)}%)`)}</title></rect>`,
    );
    x += w;
  }
  const legendRows = Math.ceil(bars.length / 4);
  const legend = bars.map((b, i) => {
    const lx = (i % 4) * (width / 4),
      ly = h + 8 + Math.floor(i / 4) * 18;
    return `<rect x="${lx}" y="${ly}" width="10" height="10" fill="${b.color}"/><text x="${lx + 14}" y="${ly + 9}">${esc(`${b.label} ${fmt(b.value)}`)}</text>`;
  });
  const H = h + 12 + legendRows * 18;
  return `<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${H}" width="${width}" height="${H}"><title>${esc(title)}</title>${segs.join('')}${legend.join('')}</svg>`;
}

/** Horizontal bars, one per row, with the value at the end. */
export function barChart(title: string, bars: readonly Bar[], width = 640): string {
  const labelW = 170,
    row = 20,
    max = Math.max(1, ...bars.map((b) => b.value));
  const H = Math.max(row, bars.length * row);
  const rows = bars.map((b, i) => {
    const w = ((width - labelW - 70) * b.value) / max;
    const y = i * row;
    return (
      `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${Math.max(w, b.value > 0 ? 1 : 0).toFixed(2)}" height="${row - 6}" fill="${b.color}"><title>${esc(`${b.label}: ${fmt(b.value)}`)}</title></rect>` +
      `<text x="${(labelW + w + 4).toFixed(2)}" y="${y + 14}">${fmt(b.value)}</text>`
    );
  });
  return `<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${H}" width="${width}" height="${H}"><title>${esc(title)}</title>${rows.join('')}</svg>`;
}

/**
 * A histogram of (value → count) pairs: sizes are grouped into at most
 * `maxBins` bins of equal width (1 when the range is small), with the
 * median / p90 marked.
 */
export function histogram(
  title: string,
  data: readonly { readonly size: number; readonly count: number }[],
  marks: readonly { readonly label: string; readonly at: number }[] = [],
  width = 640,
  maxBins = 40,
): string {
  const H = 170,
    padL = 44,
    padB = 34,
    padT = 16,
    plotW = width - padL - 10,
    plotH = H - padB - padT;
  if (data.length === 0)
    return `<svg class="chart" viewBox="0 0 ${width} 30" width="${width}" height="30"><text x="0" y="18">no sets (every access widened to any)</text></svg>`;
  const lo = data[0]!.size,
    hi = data[data.length - 1]!.size;
  const binW = Math.max(1, Math.ceil((hi - lo + 1) / maxBins));
  const nb = Math.floor((hi - lo) / binW) + 1;
  const bins = new Array<number>(nb).fill(0);
  for (const d of data) bins[Math.floor((d.size - lo) / binW)]! += d.count;
  const max = Math.max(1, ...bins);
  const bw = plotW / nb;
  const bars = bins.map((c, i) => {
    const from = lo + i * binW,
      to = from + binW - 1;
    const h = (c / max) * plotH;
    const label = binW === 1 ? `size ${from}` : `sizes ${from}–${to}`;
    return `<rect x="${(padL + i * bw + 1).toFixed(2)}" y="${(padT + plotH - h).toFixed(2)}" width="${Math.max(1, bw - 2).toFixed(2)}" height="${h.toFixed(2)}" fill="#2e86c1"><title>${esc(`${label}: ${fmt(c)} accesses`)}</title></rect>`;
  });
  const xAt = (v: number) => padL + ((v - lo) / binW + 0.5) * bw;
  const ticks = [lo, Math.round((lo + hi) / 2), hi]
    .filter((v, i, a) => a.indexOf(v) === i)
    .map((v) => `<text x="${xAt(v).toFixed(2)}" y="${H - padB + 14}" text-anchor="middle">${v}</text>`);
  const ms = marks.map(
    (m, i) =>
      `<line x1="${xAt(m.at).toFixed(2)}" x2="${xAt(m.at).toFixed(2)}" y1="${padT}" y2="${padT + plotH}" stroke="#c0392b" stroke-dasharray="3,2"/>` +
      `<text x="${(xAt(m.at) + 3).toFixed(2)}" y="${padT + 10 + i * 12}" fill="#c0392b">${esc(`${m.label} ${m.at}`)}</text>`,
  );
  const axes =
    `<line x1="${padL}" x2="${padL + plotW}" y1="${padT + plotH}" y2="${padT + plotH}" stroke="#888"/>` +
    `<text x="${padL - 4}" y="${padT + 8}" text-anchor="end">${fmt(max)}</text><text x="${padL - 4}" y="${padT + plotH}" text-anchor="end">0</text>` +
    `<text x="${padL + plotW / 2}" y="${H - 4}" text-anchor="middle">entries in the legal set${binW > 1 ? ` (bins of ${binW})` : ''}</text>`;
  return `<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${H}" width="${width}" height="${H}"><title>${esc(title)}</title>${bars.join('')}${axes}${ticks.join('')}${ms.join('')}</svg>`;
}
