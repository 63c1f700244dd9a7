/**
 * Interleaved micro-benchmarking: every case runs in each round, in a fresh
 * random order, in batches sized to about the same time. Measuring cases one
 * after another lets drift (CPU frequency, neighbours on a shared box, JIT
 * tiers, GC state) land on whichever case ran at the bad moment; interleaved,
 * it lands on all of them alike, so cases doing the same work read the same.
 */
import type { Progress } from "./progress.js";

/** One thing to measure. */
export interface Bench {
  name: string;
  /** One operation; a promise is awaited (async cases). */
  run: () => unknown;
  async?: boolean;
}

/** What was measured for one case. */
export interface BenchSamples {
  name: string;
  ops: number;
  /** Total measured nanoseconds. */
  ns: number;
  /** Nanoseconds per op of each batch. */
  perOpNs: number[];
  batch: number;
}

const hr = (): bigint => process.hrtime.bigint();

async function runBatch(b: Bench, n: number): Promise<number> {
  const t0 = hr();
  if (b.async === true) for (let i = 0; i < n; i++) await b.run();
  else for (let i = 0; i < n; i++) b.run();
  return Number(hr() - t0);
}

/** The batch size that takes about `targetNs` for `b` (at least 1). */
async function calibrate(b: Bench, targetNs: number): Promise<number> {
  let n = 1;
  for (;;) {
    const ns = await runBatch(b, n);
    if (ns >= targetNs / 4 || n >= 1 << 20) return Math.max(1, Math.round((n * targetNs) / Math.max(ns, 1)));
    n *= 4;
  }
}

/** In-place Fisher–Yates shuffle. */
export function shuffle<T>(a: T[], random: () => number = Math.random): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/**
 * Runs every case for about `seconds` in total, interleaved, after a warm-up
 * of `warmupSeconds` (JIT tiers settle), each batch about `batchNs`.
 */
export async function interleave(
  benches: Bench[],
  opts: { seconds: number; warmupSeconds: number; batchNs?: number; progress?: Progress },
): Promise<BenchSamples[]> {
  const batchNs = opts.batchNs ?? 500_000;
  const warmEnd = performance.now() + opts.warmupSeconds * 1000;
  do for (const b of benches) await runBatch(b, 8);
  while (performance.now() < warmEnd);
  const sizes = new Map<Bench, number>();
  for (const b of benches) sizes.set(b, await calibrate(b, batchNs));
  const out = new Map<Bench, BenchSamples>(benches.map((b) => [b, { name: b.name, ops: 0, ns: 0, perOpNs: [], batch: sizes.get(b) ?? 1 }]));
  const order = [...benches];
  const start = performance.now();
  const end = start + opts.seconds * 1000;
  while (performance.now() < end) {
    for (const b of shuffle(order)) {
      const n = sizes.get(b) ?? 1;
      const ns = await runBatch(b, n);
      const s = out.get(b) as BenchSamples;
      s.ops += n;
      s.ns += ns;
      s.perOpNs.push(ns / n);
    }
    opts.progress?.update((performance.now() - start) / 1000);
  }
  opts.progress?.finish();
  return benches.map((b) => out.get(b) as BenchSamples);
}
