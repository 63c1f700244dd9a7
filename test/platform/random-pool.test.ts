import { describe, expect, it } from "vitest";
import { randomPooled } from "../../src/crypto/random-pool.js";

describe("randomPooled", () => {
  it("hands out draws of the asked length, never the same bytes twice, across many blocks", () => {
    const seen = new Set<string>();
    let total = 0;
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; total < 64 * 1024; i++) {
      const n = [12, 16, 20, 32, 7, 256][i % 6] as number;
      const b = randomPooled(n);
      expect(b.length).toBe(n);
      if (n >= 12) {
        const hex = b.toString("hex");
        expect(seen.has(hex)).toBe(false);
        seen.add(hex);
      }
      for (const x of b) counts[x] = (counts[x] ?? 0) + 1;
      total += n;
    }
    // 64 KiB of uniform bytes: each value about 256 times (σ ≈ 16); a zeroed or repeated block falls far outside.
    expect(Math.min(...counts)).toBeGreaterThan(100);
    expect(Math.max(...counts)).toBeLessThan(420);
  });

  it("gives each draw memory of its own, and serves large requests too", () => {
    const a = randomPooled(16);
    const b = randomPooled(16);
    expect(a.buffer).not.toBe(b.buffer);
    expect(randomPooled(1_000).length).toBe(1_000);
  });
});
