import { createHash, randomUUID } from "node:crypto";
import type { Random } from "../../src/domain/random.js";

/**
 * The seed of every test's randomness: `TWOFOLD_TEST_SEED` when set (the
 * flake hunt, `npm run test:flakes`, sets a new one per run), else a fixed
 * default, so a plain `npm test` gives the same secrets, and so the same
 * codes, on every run.
 */
export function testSeed(): string {
  const fromEnv = process.env["TWOFOLD_TEST_SEED"];
  return fromEnv === undefined || fromEnv === "" ? "twofold-tests" : fromEnv;
}

/**
 * Deterministic bytes for the service under test (generated TOTP and HOTP
 * secrets, backup codes, WebAuthn challenges): SHA-256 in counter mode over
 * the seed and a label naming the test file's use. Ids stay random UUIDs, so
 * two apps on one database never collide.
 */
export function seededRandom(label: string, seed: string = testSeed()): Random {
  let counter = 0;
  return {
    bytes(n: number): Buffer {
      const out = Buffer.alloc(n);
      for (let filled = 0; filled < n; filled += 32) {
        createHash("sha256").update(`${seed}\0${label}\0${counter++}`).digest().copy(out, filled);
      }
      return out;
    },
    uuid: () => randomUUID(),
  };
}
