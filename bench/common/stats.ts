/**
 * Small statistics for the benchmark reports: percentiles over sorted
 * samples, histograms and empirical CDFs for the charts. Kept free of
 * dependencies so the numbers in a report can be checked by hand.
 */

/** The value at quantile `q` (0..1) of ascending `sorted`, nearest rank; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return sorted[rank] as number;
}

/** A copy of `values` sorted ascending, as a Float64Array (numeric sort, no string compare). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values);
  out.sort();
  return out;
}

/** The figures every latency row shows, milliseconds or microseconds alike. */
export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Count, mean and the usual percentiles of `values` (any unit). */
export function summarise(values: ArrayLike<number>): Summary {
  const sorted = sortedCopy(values);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
  };
}

/** One bar of a histogram: [from, to) and how many samples fell in it. */
export interface Bin {
  from: number;
  to: number;
  count: number;
}

/**
 * `bins` equal-width bins from `lo` to `hi`. Values outside are clamped into
 * the end bins (nothing disappears from a latency chart), or with
 * `clamp: false` left out (a chart of the body of a distribution).
 */
export function histogram(values: ArrayLike<number>, bins: number, lo: number, hi: number, clamp = true): Bin[] {
  const width = hi > lo ? (hi - lo) / bins : 1;
  const out: Bin[] = Array.from({ length: bins }, (_, i) => ({ from: lo + i * width, to: lo + (i + 1) * width, count: 0 }));
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!clamp && (v < lo || v > hi)) continue;
    const k = Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
    (out[k] as Bin).count++;
  }
  return out;
}

/** At most `points` (value, fraction ≤ value) pairs of the empirical CDF of ascending `sorted`. */
export function cdfPoints(sorted: ArrayLike<number>, points = 200): Array<[number, number]> {
  const n = sorted.length;
  if (n === 0) return [];
  const out: Array<[number, number]> = [];
  const step = Math.max(1, Math.floor(n / points));
  for (let i = step - 1; i < n; i += step) out.push([sorted[i] as number, (i + 1) / n]);
  if (out.at(-1)?.[1] !== 1) out.push([sorted[n - 1] as number, 1]);
  return out;
}

/** Rounds to `digits` significant digits, for JSON reports people read. */
export function round(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}
