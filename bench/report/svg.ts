/**
 * Inline SVG charts for the HTML reports: line charts (throughput over time,
 * CDFs) and histograms (latency, timing classes), drawn from numbers alone,
 * with no script and nothing fetched, so a report opens anywhere offline.
 */

/** One named line or histogram of a chart. */
export interface Series {
  name: string;
  /** (x, y) points, x ascending. */
  points: Array<[number, number]>;
}

/** What every chart is given. */
export interface ChartOptions {
  /** A stable id for the chart's kind, set as `data-chart` (tests and styles find charts by it). */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Force the y axis to start at 0 (default true). */
  yFromZero?: boolean;
  yMax?: number;
  /** Where the legend goes (CDFs rise to the top right, so theirs goes to the bottom). */
  legendAt?: "top" | "bottom";
  /** Extra `data-*` attributes on the chart (e.g. which RPC it shows). */
  data?: Record<string, string>;
}

function dataAttrs(opts: ChartOptions): string {
  return Object.entries(opts.data ?? {})
    .map(([k, v]) => ` data-${k}="${esc(v)}"`)
    .join("");
}

const COLOURS = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7a8a", "#57606a"];
const M = { top: 34, right: 16, bottom: 44, left: 64 };

/** Escapes text for HTML and SVG. */
export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** About `count` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function label(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

interface Frame {
  x(v: number): number;
  y(v: number): number;
  svg: string[];
  w: number;
  h: number;
}

function frame(opts: ChartOptions, xs: number[], ys: number[]): Frame {
  const w = opts.width ?? 560;
  const h = opts.height ?? 280;
  const xLo = Math.min(...xs);
  const xHi = Math.max(...xs);
  const yLo = opts.yFromZero === false ? Math.min(...ys) : Math.min(0, ...ys);
  const yHi = opts.yMax ?? Math.max(...ys);
  const xSpan = xHi > xLo ? xHi - xLo : 1;
  const ySpan = yHi > yLo ? yHi - yLo : 1;
  const pw = w - M.left - M.right;
  const ph = h - M.top - M.bottom;
  const x = (v: number): number => M.left + ((v - xLo) / xSpan) * pw;
  const y = (v: number): number => M.top + ph - ((v - yLo) / ySpan) * ph;
  const svg: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${esc(opts.id)}"${dataAttrs(opts)} viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(opts.title)}">`,
    `<title>${esc(opts.title)}</title>`,
    `<text x="${M.left}" y="20" class="chart-title">${esc(opts.title)}</text>`,
  ];
  for (const t of ticks(xLo, xHi)) {
    svg.push(`<line x1="${x(t).toFixed(1)}" y1="${M.top + ph}" x2="${x(t).toFixed(1)}" y2="${M.top + ph + 4}" class="tick"/>`);
    svg.push(`<text x="${x(t).toFixed(1)}" y="${M.top + ph + 16}" text-anchor="middle" class="tick-label">${label(t)}</text>`);
  }
  for (const t of ticks(yLo, yHi)) {
    svg.push(`<line x1="${M.left}" y1="${y(t).toFixed(1)}" x2="${M.left + pw}" y2="${y(t).toFixed(1)}" class="grid"/>`);
    svg.push(`<text x="${M.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" class="tick-label">${label(t)}</text>`);
  }
  svg.push(`<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}" class="axis"/>`);
  svg.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}" class="axis"/>`);
  svg.push(`<text x="${M.left + pw / 2}" y="${h - 8}" text-anchor="middle" class="axis-label">${esc(opts.xLabel)}</text>`);
  svg.push(`<text x="14" y="${M.top + ph / 2}" text-anchor="middle" class="axis-label" transform="rotate(-90 14 ${M.top + ph / 2})">${esc(opts.yLabel)}</text>`);
  return { x, y, svg, w, h };
}

function legend(f: Frame, series: Series[], at: "top" | "bottom" = "top"): void {
  if (series.length < 2) return;
  series.forEach((s, i) => {
    const lx = f.w - M.right - 150;
    const ly = at === "top" ? M.top + 4 + i * 16 : f.h - M.bottom - 8 - (series.length - i) * 16;
    f.svg.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${COLOURS[i % COLOURS.length]}"/>`);
    f.svg.push(`<text x="${lx + 14}" y="${ly + 9}" class="legend">${esc(s.name)}</text>`);
  });
}

/** A line per series (throughput over time, a CDF). */
export function lineChart(opts: ChartOptions, series: Series[]): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  if (xs.length === 0) return emptyChart(opts);
  const f = frame(opts, xs, ys);
  series.forEach((s, i) => {
    const pts = s.points.map(([px, py]) => `${f.x(px).toFixed(1)},${f.y(py).toFixed(1)}`).join(" ");
    f.svg.push(`<polyline class="series" data-series="${esc(s.name)}" fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="1.8" points="${pts}"/>`);
  });
  legend(f, series, opts.legendAt);
  f.svg.push("</svg>");
  return f.svg.join("");
}

/** One histogram: bars of [from, to) with counts; several series are drawn as outlined steps over each other. */
export function histogramChart(opts: ChartOptions, series: Array<{ name: string; bins: Array<{ from: number; to: number; count: number }> }>): string {
  const xs = series.flatMap((s) => s.bins.flatMap((b) => [b.from, b.to]));
  const ys = series.flatMap((s) => s.bins.map((b) => b.count));
  if (xs.length === 0) return emptyChart(opts);
  const f = frame(opts, xs, ys);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length] as string;
    if (series.length === 1) {
      for (const b of s.bins) {
        const x0 = f.x(b.from);
        const x1 = f.x(b.to);
        const y0 = f.y(b.count);
        f.svg.push(
          `<rect class="bar" x="${x0.toFixed(1)}" y="${y0.toFixed(1)}" width="${Math.max(0.5, x1 - x0 - 0.5).toFixed(1)}" height="${(f.y(0) - y0).toFixed(1)}" fill="${colour}" opacity="0.8"/>`,
        );
      }
    } else {
      const pts: string[] = [];
      for (const b of s.bins) pts.push(`${f.x(b.from).toFixed(1)},${f.y(b.count).toFixed(1)}`, `${f.x(b.to).toFixed(1)},${f.y(b.count).toFixed(1)}`);
      f.svg.push(`<polyline class="series" data-series="${esc(s.name)}" fill="none" stroke="${colour}" stroke-width="1.6" points="${pts.join(" ")}"/>`);
    }
  });
  legend(f, series.map((s) => ({ name: s.name, points: [] })));
  f.svg.push("</svg>");
  return f.svg.join("");
}

function emptyChart(opts: ChartOptions): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${esc(opts.id)}"${dataAttrs(opts)} viewBox="0 0 560 60" width="560" height="60"><text x="10" y="30">${esc(opts.title)}: no data</text></svg>`;
}

/** Horizontal bars, one per labelled value (costs by case). */
export function barChart(opts: ChartOptions, bars: Array<{ label: string; value: number }>): string {
  if (bars.length === 0) return emptyChart(opts);
  const rowH = 16;
  const labelW = 330;
  const w = opts.width ?? 900;
  const h = M.top + bars.length * rowH + M.bottom;
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const pw = w - labelW - M.right - 60;
  const x = (v: number): number => labelW + (v / max) * pw;
  const svg: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${esc(opts.id)}"${dataAttrs(opts)} viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(opts.title)}">`,
    `<title>${esc(opts.title)}</title>`,
    `<text x="8" y="20" class="chart-title">${esc(opts.title)}</text>`,
  ];
  for (const t of ticks(0, max)) {
    svg.push(`<line x1="${x(t).toFixed(1)}" y1="${M.top}" x2="${x(t).toFixed(1)}" y2="${M.top + bars.length * rowH}" class="grid"/>`);
    svg.push(`<text x="${x(t).toFixed(1)}" y="${M.top + bars.length * rowH + 14}" text-anchor="middle" class="tick-label">${label(t)}</text>`);
  }
  bars.forEach((b, i) => {
    const y = M.top + i * rowH;
    svg.push(`<text x="${labelW - 6}" y="${y + 12}" text-anchor="end" class="tick-label">${esc(b.label)}</text>`);
    svg.push(`<rect class="bar" x="${labelW}" y="${y + 2}" width="${Math.max(0.5, x(b.value) - labelW).toFixed(1)}" height="${rowH - 4}" fill="${COLOURS[0]}"/>`);
    svg.push(`<text x="${(x(b.value) + 4).toFixed(1)}" y="${y + 12}" class="tick-label">${label(b.value)}</text>`);
  });
  svg.push(`<text x="${labelW + pw / 2}" y="${h - 8}" text-anchor="middle" class="axis-label">${esc(opts.xLabel)}</text>`);
  svg.push("</svg>");
  return svg.join("");
}
