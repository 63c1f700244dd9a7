/**
 * The HTML report of `core`: the table, ops/s by case as bars, and the
 * per-batch µs/op distributions of the cases that must cost the same
 * (their curves should lie on top of each other).
 */
import type { CoreReport } from "../core/run-core.js";
import { fmt } from "../common/table.js";
import { chartRow, htmlTable, page, writePage } from "./html.js";
import { barChart, histogramChart } from "./svg.js";

/** The page as a string. */
export function coreHtml(r: CoreReport): string {
  const meta = [`${r.startedAt} · ${r.machine.cpus} cores (${r.machine.model}) · Node ${r.machine.node}`, `${r.rows.length} cases interleaved for ${r.settings.seconds} s`];
  const x = (v: number | undefined): string => (v === undefined ? "-" : `${fmt(v, 2)}×`);
  const table = htmlTable(
    ["case", "ops/s", "µs/op p50", "µs/op p99", "HMACs/op", "÷ otplib", "÷ HMAC floor", "÷ simplewebauthn"],
    r.rows.map((row) => [row.name, fmt(row.opsPerSecond, 0), fmt(row.usPerOpMedian, 2), fmt(row.usPerOpP99, 2), row.hmacsPerOp ?? "-", x(row.vsOtplib), x(row.vsFloor), x(row.vsSimpleWebAuthn)]),
  );
  const bars = barChart(
    { id: "core-ops", title: "µs per operation (median of batches)", xLabel: "µs/op", yLabel: "" },
    r.rows.map((row) => ({ label: row.name, value: row.usPerOpMedian })),
  );
  const groups = new Map<string, CoreReport["rows"]>();
  for (const row of r.rows) {
    const m = /^(TOTP SHA1, 6 digits|HOTP SHA1, 6 digits)/.exec(row.name);
    if (m === null) continue;
    const list = groups.get(m[1] as string) ?? [];
    list.push(row);
    groups.set(m[1] as string, list);
  }
  const dists = [...groups].map(([g, rows]) =>
    histogramChart(
      { id: "core-distribution", data: { group: g }, title: `${g}: µs/op per batch, by case`, xLabel: "µs/op", yLabel: "batches" },
      rows.map((row) => ({ name: row.name.slice(g.length + 2), bins: row.histogram })),
    ),
  );
  const work = htmlTable(
    ["same-work group", "HMACs per op", ""],
    r.constantWork.map((g) => [g.group, g.hmacs.join(", "), g.ok ? "equal" : "DIFFERENT"]),
    r.constantWork.map((g) => (g.ok ? undefined : "bad")),
  );
  return page("twofold-bench core", meta, [
    { title: "Cases", html: table },
    { title: "Cost per operation", html: bars },
    { title: "Same work, same time", html: chartRow(dists) + work },
  ]);
}

/** Writes the page to `file`. */
export function writeCoreHtml(file: string, r: CoreReport): void {
  writePage(file, coreHtml(r));
}
