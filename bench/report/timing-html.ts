/**
 * The HTML report of `timing`: the verdicts, and each pair's two classes'
 * distributions of time per measurement drawn over each other (a leak shows
 * as curves apart; the control's must be apart).
 */
import type { TimingReport } from "../timing/run-timing.js";
import { fmt } from "../common/table.js";
import { chartRow, htmlTable, page, writePage } from "./html.js";
import { histogramChart } from "./svg.js";

/** The page as a string. */
export function timingHtml(r: TimingReport): string {
  const meta = [
    `${r.startedAt} · ${r.machine.cpus} cores (${r.machine.model}) · Node ${r.machine.node}`,
    `${fmt(r.settings.samplesPerClass)} measurements per class and pair; fail at |t| > ${r.settings.leakT}; control must exceed ${r.settings.controlT}; verdict ${r.verdict.toUpperCase()}`,
  ];
  const table = htmlTable(
    ["pair", "classes", "median µs/op", "max |t|", "test", "verdict"],
    r.pairs.map((p) => [p.name, `${p.classes[0]} / ${p.classes[1]}`, `${fmt(p.medianNs[0] / 1000, 3)} / ${fmt(p.medianNs[1] / 1000, 3)}`, fmt(p.result.maxT, 2), p.result.test, p.verdict]),
    r.pairs.map((p) => (p.verdict === "leak" || p.verdict === "control NOT detected" ? "bad" : undefined)),
  );
  const charts = r.pairs.map((p) =>
    histogramChart(
      { id: "timing-classes", data: { pair: p.name }, title: p.name, xLabel: `ns per measurement (${p.opsPerSample} op${p.opsPerSample === 1 ? "" : "s"})`, yLabel: "measurements" },
      [
        { name: p.classes[0], bins: p.histograms[0] },
        { name: p.classes[1], bins: p.histograms[1] },
      ],
    ),
  );
  return page("twofold-bench timing", meta, [
    { title: "Verdicts", html: table },
    { title: "Distributions by class (below the pooled p90)", html: chartRow(charts) },
  ]);
}

/** Writes the page to `file`. */
export function writeTimingHtml(file: string, r: TimingReport): void {
  writePage(file, timingHtml(r));
}
