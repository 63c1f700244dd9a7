/**
 * `twofold-bench core`: runs the cases interleaved and turns the samples
 * into the report: ops/s, µs/op (median and p99 over batches), HMACs per
 * op, and each case's ratio to its baselines from the same run.
 */
import { cpus } from "node:os";
import { interleave, type BenchSamples } from "../common/interleave.js";
import type { Progress } from "../common/progress.js";
import { histogram, quantile, round, sortedCopy, type Bin } from "../common/stats.js";
import { coreCounters } from "../targets.js";
import { coreCases, type CoreCase } from "./cases.js";

/** One case's row. */
export interface CoreRow {
  name: string;
  group: CoreCase["group"];
  opsPerSecond: number;
  usPerOpMedian: number;
  usPerOpP99: number;
  hmacsPerOp: number | undefined;
  /**
   * The baseline's median µs/op over this case's (otplib: > 1 is faster than
   * otplib). Medians, not means: a neighbour's burst on a shared machine
   * lands in a few batches' tails and would swing a mean-based ratio.
   */
  vsOtplib: number | undefined;
  /** Bare createHmac calls doing this case's HMACs, median µs over this case's (> 1: the case beats the bare calls). */
  vsFloor: number | undefined;
  vsSimpleWebAuthn: number | undefined;
  batches: number;
  opsPerBatch: number;
  /** µs/op per batch, binned (the HTML draws it). */
  histogram: Bin[];
}

/** The JSON report of `core`. */
export interface CoreReport {
  command: "core";
  startedAt: string;
  machine: { cpus: number; model: string; node: string };
  settings: { seconds: number; warmupSeconds: number; smoke: boolean };
  rows: CoreRow[];
  /** Cases that must do the same work, and whether their HMAC counts agree. */
  constantWork: Array<{ group: string; hmacs: Array<number | undefined>; ok: boolean }>;
}

function hmacsOf(c: CoreCase): number | undefined {
  if (c.hmacs !== "counted") return c.hmacs;
  const before = coreCounters.hmacs;
  const r = c.run();
  if (r instanceof Promise) throw new Error("counted cases are synchronous");
  return coreCounters.hmacs - before;
}

/** Measures every case for about `seconds` (interleaved) and builds the report. */
export async function runCore(opts: { seconds: number; warmupSeconds: number; smoke: boolean; progress?: Progress; cases?: CoreCase[] }): Promise<CoreReport> {
  const cases = opts.cases ?? (await coreCases());
  const samples = await interleave(cases, { seconds: opts.seconds, warmupSeconds: opts.warmupSeconds, ...(opts.progress === undefined ? {} : { progress: opts.progress }) });
  const byName = new Map<string, { c: CoreCase; s: BenchSamples; hmacs: number | undefined }>();
  cases.forEach((c, i) => byName.set(c.name, { c, s: samples[i] as BenchSamples, hmacs: hmacsOf(c) }));
  const opsPerSecond = (s: BenchSamples): number => (s.ns > 0 ? (s.ops * 1e9) / s.ns : 0);
  const median = (s: BenchSamples): number => quantile(sortedCopy(s.perOpNs), 0.5);
  const ratio = (mine: BenchSamples, baseline: string | undefined): number | undefined => {
    const b = baseline === undefined ? undefined : byName.get(baseline);
    return b === undefined ? undefined : round(median(b.s) / median(mine), 3);
  };
  const rows: CoreRow[] = cases.map((c) => {
    const { s, hmacs } = byName.get(c.name) as { s: BenchSamples; hmacs: number | undefined };
    const us = sortedCopy(s.perOpNs.map((ns) => ns / 1000));
    let vsFloor: number | undefined;
    const floor = c.floor === undefined ? undefined : byName.get(c.floor);
    if (floor !== undefined && hmacs !== undefined && floor.hmacs !== undefined && hmacs > 0) {
      // Bare HMACs' median time, scaled to this case's HMAC count.
      vsFloor = round(((median(floor.s) / floor.hmacs) * hmacs) / median(s), 3);
    }
    const hi = us.length === 0 ? 1 : quantile(us, 0.995);
    return {
      name: c.name,
      group: c.group,
      opsPerSecond: round(opsPerSecond(s)),
      usPerOpMedian: round(quantile(us, 0.5)),
      usPerOpP99: round(quantile(us, 0.99)),
      hmacsPerOp: hmacs,
      vsOtplib: ratio(s, c.otplib),
      vsFloor,
      vsSimpleWebAuthn: ratio(s, c.simplewebauthn),
      batches: s.perOpNs.length,
      opsPerBatch: s.batch,
      histogram: histogram(us, 30, quantile(us, 0.005), hi).map((b) => ({ from: round(b.from), to: round(b.to), count: b.count })),
    };
  });
  const groups = new Map<string, Array<number | undefined>>();
  for (const c of cases) {
    if (c.sameWork === undefined) continue;
    const list = groups.get(c.sameWork) ?? [];
    list.push(byName.get(c.name)?.hmacs);
    groups.set(c.sameWork, list);
  }
  return {
    command: "core",
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", node: process.version },
    settings: { seconds: opts.seconds, warmupSeconds: opts.warmupSeconds, smoke: opts.smoke },
    rows,
    constantWork: [...groups].map(([group, hmacs]) => ({ group, hmacs, ok: hmacs.every((h) => h !== undefined && h === hmacs[0]) })),
  };
}
