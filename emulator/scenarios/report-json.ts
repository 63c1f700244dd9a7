import type { RunReport } from "./types.js";

/**
 * The JSON report: `{ target, startedAt, results: [{ name, status,
 * durationMs, error? }] }`, for tools that want more than a table.
 */
export function jsonReport(report: RunReport): string {
  const results = report.results.map((r) => ({
    name: r.name,
    status: r.status,
    durationMs: r.durationMs,
    ...(r.error === undefined ? {} : { error: r.error }),
  }));
  return `${JSON.stringify({ target: report.target, startedAt: report.startedAt, results }, null, 2)}\n`;
}
