import { createHash, randomBytes as nodeRandomBytes } from "node:crypto";

/**
 * Time as a parameter. Structurally the same as the service's `Clock`, so a
 * test can hand the emulator and the service one clock and move both at once.
 */
export interface EmulatorClock {
  now(): Date;
}

/** Randomness as a parameter, so key material and counter jumps can be pinned in tests. */
export type RandomBytes = (n: number) => Uint8Array;

/** The wall clock, for scenario runs against a live service. */
export const systemClock: EmulatorClock = { now: () => new Date() };

/** The operating system's CSPRNG. */
export const systemRandomBytes: RandomBytes = (n) => new Uint8Array(nodeRandomBytes(n));

/** A clock tests can set and advance, shared by tokens and the browser. */
export class ManualClock implements EmulatorClock {
  #t: number;
  constructor(start: Date | number) {
    this.#t = typeof start === "number" ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.#t);
  }
  set(t: Date | number): void {
    this.#t = typeof t === "number" ? t : t.getTime();
  }
  advance(ms: number): void {
    this.#t += ms;
  }
}

/**
 * A deterministic byte stream (SHA-256 in counter mode over a seed), so a
 * test can reproduce the same keys and counter jumps run after run.
 */
export function seededRandomBytes(seed: string): RandomBytes {
  let block = 0;
  let pool = new Uint8Array(0);
  return (n) => {
    while (pool.length < n) {
      const next = createHash("sha256").update(seed).update(String(block++)).digest();
      const merged = new Uint8Array(pool.length + next.length);
      merged.set(pool);
      merged.set(next, pool.length);
      pool = merged;
    }
    const out = pool.slice(0, n);
    pool = pool.slice(n);
    return out;
  };
}

/** A uniformly distributed integer in [min, max], drawn from `random`. */
export function randomInt(random: RandomBytes, min: number, max: number): number {
  const span = max - min + 1;
  const limit = Math.floor(0x1_0000_0000 / span) * span;
  for (;;) {
    const b = random(4);
    const v = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (v < limit) return min + (v % span);
  }
}
