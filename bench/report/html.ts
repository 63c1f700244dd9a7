/**
 * The HTML page every report shares: inline styles, tables and SVG charts,
 * one self-contained file (nothing loaded from elsewhere).
 */
import { writeFileSync } from "node:fs";
import { esc } from "./svg.js";

/** A titled part of a report. */
export interface Section {
  title: string;
  /** Trusted HTML (tables and charts built by the report code). */
  html: string;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1180px;color:#1f2328;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#59636e}table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}
td.num{text-align:right;white-space:nowrap}th{background:#f6f8fa}.bad{color:#d1242f;font-weight:600}.ok{color:#1a7f37}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{background:#fff;border:1px solid #d0d7de;border-radius:6px}
.chart-title{font-weight:600;font-size:13px}.tick-label,.legend{font-size:11px;fill:#59636e}.axis-label{font-size:12px;fill:#1f2328}
.axis{stroke:#57606a}.tick{stroke:#57606a}.grid{stroke:#eaeef2}ul{margin:4px 0}
`;

/** Cells that read as figures ("1,234.5", "0.98×", "12 %", "3.1 / 3.2") are right-aligned. */
const NUMERIC = /^[-+]?[\d,.]+(?:\s?[×%])?(?:\s\/\s[-+]?[\d,.]+)?$|^-$/;

/** A table from headers and rows of already formatted text. */
export function htmlTable(headers: string[], rows: Array<Array<string | number>>, classes?: Array<string | undefined>): string {
  const head = `<tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>`;
  const body = rows
    .map((r, i) => `<tr${classes?.[i] === undefined ? "" : ` class="${classes[i]}"`}>${r.map((c) => `<td${NUMERIC.test(String(c)) ? ' class="num"' : ""}>${esc(String(c))}</td>`).join("")}</tr>`)
    .join("");
  return `<table>${head}${body}</table>`;
}

/** Charts side by side. */
export function chartRow(charts: string[]): string {
  return `<div class="charts">${charts.join("")}</div>`;
}

/** The whole page. */
export function page(title: string, meta: string[], sections: Section[]): string {
  return [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body>`,
    `<h1>${esc(title)}</h1>`,
    ...meta.map((m) => `<div class="meta">${esc(m)}</div>`),
    ...sections.map((s) => `<section><h2>${esc(s.title)}</h2>${s.html}</section>`),
    "</body></html>",
    "",
  ].join("\n");
}

/** Writes a page to `file`. */
export function writePage(file: string, html: string): void {
  writeFileSync(file, html);
}
