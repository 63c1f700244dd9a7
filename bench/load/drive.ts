/**
 * The closed loop every phase of `load` uses: C workers, each starting its
 * next operation as soon as the last one ended, for a warm-up and then a
 * measuring window (a duration, or until a count of operations is reached).
 */
import type { Progress } from "../common/progress.js";
import type { Recorder } from "./recorder.js";

/** How long, and how hard. */
export interface DrivePlan {
  concurrency: number;
  warmupSeconds: number;
  /** The window's length; with `count`, an upper bound. */
  seconds: number;
  /** Stop once this many operations are recorded (undefined: run for `seconds`). */
  count?: number | undefined;
}

/**
 * What a worker does once. Returns false when it found nothing to do (no
 * user free right now); the worker then waits `idleMs` and the time is
 * counted as idle.
 */
export type Operation = (worker: number) => Promise<boolean>;

/** What a drive measured besides the recorder's figures. */
export interface DriveResult {
  /** Share of worker time spent waiting for a user (0..1) inside the window. */
  idleShare: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `op` on `plan.concurrency` workers through warm-up and window; the recorder's window is opened and closed here. */
export async function drive(
  plan: DrivePlan,
  recorder: Recorder,
  op: Operation,
  opts: { idleMs?: (worker: number) => number; progress?: Progress; progressCount?: () => number; onOpen?: () => void; onClose?: () => void } = {},
): Promise<DriveResult> {
  const started = performance.now();
  const openAt = started + plan.warmupSeconds * 1000;
  const closeAt = openAt + plan.seconds * 1000;
  let opened = false;
  let stop = false;
  let idleMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    if (!opened && now >= openAt) {
      opened = true;
      opts.onOpen?.();
      recorder.open(now);
    }
    if (opened) {
      const done = opts.progressCount?.() ?? 0;
      opts.progress?.update(plan.count === undefined ? recorder.seconds(now) : done, plan.count === undefined ? undefined : `${done} ops`);
    }
    if (now >= closeAt || (plan.count !== undefined && opened && (opts.progressCount?.() ?? 0) >= plan.count)) {
      if (!stop) {
        stop = true;
        recorder.close(now);
        opts.onClose?.();
      }
    }
  }, 20);
  const worker = async (w: number): Promise<void> => {
    while (!stop) {
      const didWork = await op(w);
      if (!didWork && !stop) {
        const wait = Math.max(1, Math.min(50, opts.idleMs?.(w) ?? 5));
        const t = performance.now();
        await sleep(wait);
        if (opened) idleMs += Math.min(performance.now(), closeAt) - Math.max(t, openAt);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: plan.concurrency }, (_, w) => worker(w)));
  } finally {
    clearInterval(timer);
    opts.progress?.finish();
  }
  const windowMs = recorder.seconds() * 1000;
  return { idleShare: windowMs > 0 ? Math.max(0, idleMs) / (windowMs * plan.concurrency) : 0 };
}
