/**
 * `twofold-bench timing`: measures every class pair interleaved (random
 * class per measurement, pairs taking turns in chunks so drift on a shared
 * machine lands on all of them), then applies dudect's tests to each pair.
 */
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import type { Progress } from "../common/progress.js";
import { histogram, quantile, round, sortedCopy, type Bin } from "../common/stats.js";
import { analyse, type TestResult } from "./dudect.js";
import { classPairs, type ClassPair, type TotpVerifier } from "./pairs.js";

/** |t| above which a real pair fails the run (the and common TVLA practice's 4.5). */
export const LEAK_T = 4.5;
/** |t| the positive control must exceed, or the run proves nothing and is void (dudect's "probably not constant time"). */
export const CONTROL_T = 10;

/** One pair's outcome. */
export interface PairReport {
  name: string;
  classes: [string, string];
  control: boolean;
  opsPerSample: number;
  result: Omit<TestResult, "thresholds">;
  /** Mean ns per operation, by class (raw: outliers included). */
  meanNs: [number, number];
  /** Median ns per operation, by class. */
  medianNs: [number, number];
  verdict: "no evidence of a leak" | "leak" | "control detected" | "control NOT detected";
  /** Per-class histograms of ns per measurement between the pooled p1 and p90 (the HTML draws them). */
  histograms: [Bin[], Bin[]];
}

/** The JSON report of `timing`. */
export interface TimingReport {
  command: "timing";
  startedAt: string;
  machine: { cpus: number; model: string; node: string };
  settings: { samplesPerClass: number; smoke: boolean; leakT: number; controlT: number; injectedLeak: boolean };
  pairs: PairReport[];
  /** The control reached |t| > CONTROL_T. */
  controlDetected: boolean;
  /** Any real pair reached |t| > LEAK_T. */
  leakFound: boolean;
  verdict: "pass" | "leak" | "void";
}

const CHUNK = 1000;

/** Options of a timing run; `verify` replaces the TOTP core (a test injects a leaky one). */
export interface TimingOptions {
  samplesPerClass: number;
  smoke: boolean;
  verify?: TotpVerifier;
  progress?: Progress;
}

/** Runs the test and builds the report. */
export async function runTiming(opts: TimingOptions): Promise<TimingReport> {
  const pairs = classPairs(opts.verify);
  const total = 2 * opts.samplesPerClass;
  const prepare = Math.min(10_000, Math.max(500, Math.floor(total * 0.05)));
  const count = prepare + total;
  const enough = Math.min(10_000, Math.max(100, Math.floor(opts.samplesPerClass / 20)));
  const times = pairs.map(() => new Float64Array(count));
  const classes = pairs.map(() => new Uint8Array(count));
  // Warm-up: JIT tiers settle before anything is kept.
  for (const p of pairs) for (let i = 0; i < (opts.smoke ? 300 : 3000); i++) p.run((i & 1) as 0 | 1);
  let filled = 0;
  const hr = process.hrtime.bigint;
  while (filled < count) {
    const n = Math.min(CHUNK, count - filled);
    for (let k = 0; k < pairs.length; k++) {
      const p = pairs[k] as ClassPair;
      const t = times[k] as Float64Array;
      const cl = classes[k] as Uint8Array;
      const bits = randomBytes(n);
      for (let i = 0; i < n; i++) {
        const c = ((bits[i] as number) & 1) as 0 | 1;
        const t0 = hr();
        p.run(c);
        t[filled + i] = Number(hr() - t0);
        cl[filled + i] = c;
      }
    }
    filled += n;
    opts.progress?.update(filled);
    // Let timers and I/O run between chunks (the progress bar), outside any measurement.
    await new Promise((r) => setImmediate(r));
  }
  opts.progress?.finish();

  const reports: PairReport[] = pairs.map((p, k) => {
    const t = times[k] as Float64Array;
    const cl = classes[k] as Uint8Array;
    const { thresholds: _thresholds, ...result } = analyse(t, cl, count, prepare, enough);
    const kept = sortedCopy(t.subarray(prepare));
    const lo = quantile(kept, 0.01);
    const hi = quantile(kept, 0.9);
    const per: [number[], number[]] = [[], []];
    for (let i = prepare; i < count; i++) per[(cl[i] as number) === 1 ? 1 : 0].push(t[i] as number);
    const leak = result.maxT > (p.control === true ? CONTROL_T : LEAK_T);
    return {
      name: p.name,
      classes: p.classes,
      control: p.control === true,
      opsPerSample: p.batch,
      result: { ...result, maxT: round(result.maxT), tau: round(result.tau), rawT: round(result.rawT), mean: [round(result.mean[0]), round(result.mean[1])] },
      meanNs: [round(result.mean[0] / p.batch), round(result.mean[1] / p.batch)],
      verdict: p.control === true ? (leak ? "control detected" : "control NOT detected") : leak ? "leak" : "no evidence of a leak",
      medianNs: [round(quantile(sortedCopy(per[0]), 0.5) / p.batch), round(quantile(sortedCopy(per[1]), 0.5) / p.batch)],
      histograms: [histogram(per[0], 40, lo, hi, false), histogram(per[1], 40, lo, hi, false)].map((bins) =>
        bins.map((b) => ({ from: round(b.from), to: round(b.to), count: b.count })),
      ) as [Bin[], Bin[]],
    };
  });
  const controlDetected = reports.filter((r) => r.control).every((r) => r.verdict === "control detected");
  const leakFound = reports.some((r) => r.verdict === "leak");
  return {
    command: "timing",
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", node: process.version },
    settings: { samplesPerClass: opts.samplesPerClass, smoke: opts.smoke, leakT: LEAK_T, controlT: CONTROL_T, injectedLeak: opts.verify !== undefined },
    pairs: reports,
    controlDetected,
    leakFound,
    verdict: !controlDetected ? "void" : leakFound ? "leak" : "pass",
  };
}
