import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * The wall-clock time child processes (a `twofold serve`, the emulator's
 * CLI) see when a test pins it: 3 s into a 30 s TOTP step, so every code a
 * test computes for "now" falls in the same step as the service's "now", on
 * every run.
 */
export const PINNED_AT = new Date("2026-03-01T12:00:03Z");

function libfaketime(): string {
  const base = "/usr/lib";
  const candidates = [join(base, "faketime", "libfaketime.so.1")];
  for (const dir of existsSync(base) ? readdirSync(base) : []) candidates.push(join(base, dir, "faketime", "libfaketime.so.1"));
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new Error("libfaketime is missing: install Debian's faketime package (.ci/run does)");
  return found;
}

/**
 * Environment for a child process whose wall clock stands still at `at`
 * (libfaketime, preloaded): `Date.now()` always answers `at`, while timers,
 * which run on the monotonic clock, keep working. A test that starts the
 * service in another process uses it instead of racing TOTP step boundaries
 * on the real clock.
 */
export function pinnedTimeEnv(at: Date = PINNED_AT): Record<string, string> {
  const iso = at.toISOString();
  return {
    LD_PRELOAD: libfaketime(),
    // libfaketime reads "YYYY-MM-DD hh:mm:ss" in the process's time zone.
    TZ: "UTC",
    FAKETIME: `${iso.slice(0, 10)} ${iso.slice(11, 19)}`,
    FAKETIME_DONT_FAKE_MONOTONIC: "1",
  };
}
