import type { RunReport, ScenarioResult } from "./types.js";

/** Seconds with two decimals, as the table shows a duration. */
export function formatDuration(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function row(r: ScenarioResult): string[] {
  return [r.name, r.status === "passed" ? "PASS" : "FAIL", formatDuration(r.durationMs), (r.status === "passed" ? r.detail : r.error) ?? ""];
}

/**
 * The pass/fail table a run prints: `scenario | result | duration | detail`,
 * columns padded to the widest cell, and a summary line. The detail column
 * holds scrubbed text only (no codes, passwords or API key).
 */
export function formatTable(report: RunReport): string {
  const header = ["scenario", "result", "duration", "detail"];
  const rows = report.results.map(row);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join(" | ")
      .trimEnd();
  const rule = widths.map((w, i) => "-".repeat(i === widths.length - 1 ? Math.min(w, 40) : w)).join("-+-");
  const failed = report.results.filter((r) => r.status === "failed").length;
  const total = report.results.reduce((sum, r) => sum + r.durationMs, 0);
  const summary = `${report.results.length - failed} passed, ${failed} failed, ${formatDuration(total)} against ${report.target}`;
  return `${[line(header), rule, ...rows.map(line), "", summary].join("\n")}\n`;
}
