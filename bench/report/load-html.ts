/**
 * The HTML report of `load`: the figures, and charts of each RPC's latency
 * (histogram and CDF), login latency by kind, logins per second over the
 * window, and the ceilings beside the measured rate.
 */
import type { LoadReport } from "../load/run-load.js";
import { fmt, percent } from "../common/table.js";
import { chartRow, htmlTable, page, writePage, type Section } from "./html.js";
import { esc, histogramChart, lineChart } from "./svg.js";

/** The page as a string. */
export function loadHtml(r: LoadReport): string {
  const s = r.settings;
  const meta = [
    `${r.startedAt} · ${r.machine.cpus} cores (${r.machine.model}) · Node ${r.machine.node}`,
    `${s.concurrency} in flight over ${s.protocol === "grpc" ? `gRPC (${s.grpcLibrary})` : "Connect"}, ${s.connections} connection(s), ` +
      `${fmt(r.logins.seconds, 1)} s window, mix ${s.mix}, wrong proofs ${fmt(s.wrong * 100, 0)} %, ${r.enrolment.users} users`,
  ];
  const sections: Section[] = [];
  const l = r.logins;
  const kindRows = Object.entries(l.byKind).map(([k, v]) => [
    k,
    fmt(v.logins),
    fmt(v.latencyMs.summary.p50, 2),
    fmt(v.latencyMs.summary.p99, 2),
    fmt(v.verified),
    fmt(v.refusedAsExpected),
    fmt(Object.values(v.unexpected).reduce((a, b) => a + b, 0)),
  ]);
  sections.push({
    title: "Logins",
    html:
      htmlTable(
        ["", "per s", "logins", "verified", "refused (wrong proof)", "unexpected", "÷ transport ceiling", "÷ database ceiling"],
        [
          [
            "all",
            fmt(l.perSecond, 1),
            fmt(l.count),
            fmt(l.verified),
            fmt(l.refusedAsExpected),
            fmt(l.unexpected),
            r.ratios.toTransport === undefined ? "-" : fmt(r.ratios.toTransport, 3),
            r.ratios.toDatabase === undefined ? "-" : fmt(r.ratios.toDatabase, 3),
          ],
        ],
        [l.unexpected > 0 ? "bad" : undefined],
      ) +
      htmlTable(["kind", "logins", "p50 ms", "p99 ms", "verified", "refused", "unexpected"], kindRows) +
      chartRow([
        lineChart(
          { id: "throughput", title: "Logins per second over the window", xLabel: "seconds into the window", yLabel: "logins / s" },
          [{ name: "logins/s", points: r.timeline.logins.map((v, i) => [(i + 0.5) * r.timeline.sliceSeconds, v]) }],
        ),
        lineChart(
          { id: "login-cdf", title: "Login latency CDF by kind", xLabel: "ms", yLabel: "fraction ≤ x", yMax: 1, legendAt: "bottom" },
          Object.entries(l.byKind).map(([k, v]) => ({ name: k, points: v.latencyMs.cdf })),
        ),
      ]),
  });
  const rpcRows = Object.entries(r.rpcs).map(([name, rpc]) => [
    name,
    fmt(rpc.count),
    fmt(rpc.latencyMs.summary.p50, 2),
    fmt(rpc.latencyMs.summary.p90, 2),
    fmt(rpc.latencyMs.summary.p99, 2),
    fmt(rpc.latencyMs.summary.max, 2),
    Object.entries(rpc.statuses)
      .map(([st, n]) => `${st} ${n}`)
      .join(", "),
  ]);
  sections.push({
    title: "Latency per RPC",
    html:
      htmlTable(["rpc", "count", "p50 ms", "p90 ms", "p99 ms", "max ms", "statuses"], rpcRows) +
      Object.entries(r.rpcs)
        .map(([name, rpc]) =>
          chartRow([
            histogramChart({ id: "latency-histogram", data: { rpc: name }, title: `${name}: latency histogram`, xLabel: "ms", yLabel: "calls" }, [
              { name, bins: rpc.latencyMs.histogram },
            ]),
            lineChart({ id: "latency-cdf", data: { rpc: name }, title: `${name}: latency CDF`, xLabel: "ms", yLabel: "fraction ≤ x", yMax: 1 }, [
              { name, points: rpc.latencyMs.cdf },
            ]),
          ]),
        )
        .join(""),
  });
  const c = r.ceilings;
  const ceilingRows: string[][] = [["measured logins", fmt(l.perSecond, 1), "1"]];
  if (c.transport !== undefined) ceilingRows.push(["transport ceiling (trivial handlers)", fmt(c.transport.perSecond, 0), fmt(r.ratios.toTransport, 3)]);
  if (c.database !== undefined) ceilingRows.push(["database ceiling (compare-and-set)", fmt(c.database.perSecond, 0), fmt(r.ratios.toDatabase, 3)]);
  sections.push({
    title: "Ceilings (same run, same concurrency)",
    html: htmlTable(["", "per s", "logins ÷ this"], ceilingRows) + (c.databaseNote === undefined ? "" : `<p>Database ceiling ${c.databaseNote}.</p>`),
  });
  const cpu = r.cpu;
  let cpuHtml = htmlTable(
    ["server ms/login", "postgres ms/login", "load generator ms/login", "machine busy", "server event loop on a core", "waiting for a core"],
    [
      [
        fmt(cpu.serverMsPerLogin, 2),
        fmt(cpu.postgresMsPerLogin, 2),
        fmt(cpu.generatorMsPerLogin, 2),
        percent(cpu.machineBusyShare),
        percent(cpu.serverThread?.runningShare),
        percent(cpu.serverThread?.waitingShare),
      ],
    ],
  );
  if (r.cpuProfile !== undefined) {
    cpuHtml += htmlTable(
      ["self ms", "% busy", "function", "where"],
      r.cpuProfile.top.map((f) => [fmt(f.selfMs, 1), fmt(f.share * 100, 1), f.name, f.where]),
    );
  }
  sections.push({ title: "CPU", html: cpuHtml });
  if (r.notes.length > 0) sections.push({ title: "Notes", html: `<ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` });
  return page("twofold-bench load", meta, sections);
}

/** Writes the page to `file`. */
export function writeLoadHtml(file: string, r: LoadReport): void {
  writePage(file, loadHtml(r));
}
