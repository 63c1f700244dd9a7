/**
 * dudect's statistics (Reparaz, Balasch, Verbauwhede, "Dude, is my code
 * constant time?", DATE 2017; github.com/oreparaz/dudect): Welch's t-test
 * between two classes of execution times measured interleaved, on the raw
 * times, on times cropped below each of 100 percentiles (the first batch
 * fixes the thresholds and is thrown away), and a second-order test on
 * centred squares. The largest |t| of the tests with enough measurements is
 * the verdict's statistic.
 */

/** dudect's online Welch t-test (Welford means and variances per class). */
export class WelchT {
  readonly n: [number, number] = [0, 0];
  readonly mean: [number, number] = [0, 0];
  readonly m2: [number, number] = [0, 0];

  push(x: number, c: 0 | 1): void {
    this.n[c]++;
    const delta = x - this.mean[c];
    this.mean[c] += delta / this.n[c];
    this.m2[c] += delta * (x - this.mean[c]);
  }

  /** Welch's t; 0 while a class has fewer than 2 measurements. */
  t(): number {
    if (this.n[0] < 2 || this.n[1] < 2) return 0;
    const v0 = this.m2[0] / (this.n[0] - 1);
    const v1 = this.m2[1] / (this.n[1] - 1);
    const den = Math.sqrt(v0 / this.n[0] + v1 / this.n[1]);
    return den === 0 ? 0 : (this.mean[0] - this.mean[1]) / den;
  }
}

/** dudect's number of cropping percentiles. */
export const PERCENTILES = 100;

/** dudect's cropping thresholds: 1 − 0.5^(10·(i+1)/100), i = 0..99 (from ~6.7 % up to ~99.9 %). */
export function cropQuantiles(): number[] {
  return Array.from({ length: PERCENTILES }, (_, i) => 1 - 0.5 ** ((10 * (i + 1)) / PERCENTILES));
}

/** The value at quantile `q` of ascending `sorted`, as dudect's percentile() picks it. */
function pick(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] as number;
}

/** The statistic of one pair of classes. */
export interface TestResult {
  /** Largest |t| among the tests with enough measurements. */
  maxT: number;
  /** Which test gave it: "raw", "cropped below p…", "second order". */
  test: string;
  /** Measurements in that test. */
  measurements: number;
  /** max |t| / √measurements: a distance between the classes independent of the count (dudect). */
  tau: number;
  /** |t| of the raw test. */
  rawT: number;
  /** Measurements per class after the first batch was set aside. */
  n: [number, number];
  /** Mean time per class, over the raw measurements. */
  mean: [number, number];
  /** The cropping thresholds (same unit as the samples), from the first batch. */
  thresholds: number[];
}

/**
 * dudect's analysis of `times[i]` of class `classes[i]`. The first `prepare`
 * measurements fix the cropping thresholds and are discarded, as dudect does
 * with its first batch. A test counts once both its classes have `enough`
 * measurements (dudect: 10 000; smaller in smoke runs).
 */
export function analyse(times: ArrayLike<number>, classes: ArrayLike<number>, count: number, prepare: number, enough: number): TestResult {
  const first = Float64Array.from({ length: Math.min(prepare, count) }, (_, i) => times[i] as number).sort();
  const thresholds = cropQuantiles().map((q) => pick(first, q));
  const raw = new WelchT();
  const cropped = thresholds.map(() => new WelchT());
  const second = new WelchT();
  for (let i = prepare; i < count; i++) {
    const x = times[i] as number;
    const c = (classes[i] as number) === 1 ? 1 : 0;
    raw.push(x, c);
    for (let k = 0; k < thresholds.length; k++) if (x < (thresholds[k] as number)) (cropped[k] as WelchT).push(x, c);
  }
  // Second order: centred products, once the raw means are known (dudect starts it after 10 000).
  for (let i = prepare; i < count; i++) {
    const c = (classes[i] as number) === 1 ? 1 : 0;
    const d = (times[i] as number) - raw.mean[c];
    second.push(d * d, c);
  }
  const tests: Array<{ name: string; t: WelchT }> = [
    { name: "raw", t: raw },
    ...cropped.map((t, k) => ({ name: `cropped below p${(cropQuantiles()[k] as number * 100).toFixed(1)}`, t })),
    { name: "second order", t: second },
  ];
  let best = { name: "raw", t: raw, abs: Math.abs(raw.t()) };
  for (const test of tests) {
    if (Math.min(test.t.n[0], test.t.n[1]) < enough) continue;
    const abs = Math.abs(test.t.t());
    if (abs > best.abs || Math.min(best.t.n[0], best.t.n[1]) < enough) best = { ...test, abs };
  }
  const measurements = best.t.n[0] + best.t.n[1];
  return {
    maxT: best.abs,
    test: best.name,
    measurements,
    tau: measurements > 0 ? best.abs / Math.sqrt(measurements) : 0,
    rawT: Math.abs(raw.t()),
    n: [raw.n[0], raw.n[1]],
    mean: [raw.mean[0], raw.mean[1]],
    thresholds,
  };
}
