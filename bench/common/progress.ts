/**
 * A one-line progress bar with an ETA, drawn only when stdout is a terminal:
 * piped or redirected output (CI logs, `> file`, tests) stays a clean table.
 */
import type { WriteStream } from "node:tty";

/** What a running phase reports; every method is a no-op when not drawing. */
export interface Progress {
  /** `done` of `total` units so far; `note` is shown after the bar. */
  update(done: number, note?: string): void;
  /** Clears the line. */
  finish(): void;
}

const WIDTH = 28;
const REDRAW_MS = 100;

const silent: Progress = { update() {}, finish() {} };

function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * A bar for `label`, out of `total` units (seconds, samples, users). Drawn on
 * `out` when it is a TTY (and `enabled`), else silent.
 */
export function progressBar(
  label: string,
  total: number,
  opts: { out?: NodeJS.WriteStream | WriteStream; enabled?: boolean; now?: () => number } = {},
): Progress {
  const out = opts.out ?? process.stdout;
  if (opts.enabled === false || out.isTTY !== true) return silent;
  const now = opts.now ?? (() => performance.now());
  const started = now();
  let lastDraw = -Infinity;
  return {
    update(done, note) {
      const t = now();
      if (t - lastDraw < REDRAW_MS && done < total) return;
      lastDraw = t;
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(fraction * WIDTH);
      const elapsed = (t - started) / 1000;
      const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : Number.NaN;
      const bar = `${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}`;
      out.write(`\r\x1b[2K${label} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ETA ${clock(eta)}${note === undefined ? "" : `  ${note}`}`);
    },
    finish() {
      out.write("\r\x1b[2K");
    },
  };
}
