import { execFileSync } from "node:child_process";
import { generateSync, type HashAlgorithm } from "otplib";
import { describe, expect, it } from "vitest";
import { totpCode, totpStep, type OtpAlgorithm, type OtpDigits, type TotpPeriod } from "../../src/core/index.js";

const ALGORITHMS: OtpAlgorithm[] = ["SHA1", "SHA256", "SHA512"];
const DIGITS: OtpDigits[] = [6, 8];
const PERIODS: TotpPeriod[] = [30, 60];
const COMBOS = ALGORITHMS.flatMap((algorithm) =>
  DIGITS.flatMap((digits) => PERIODS.map((period) => ({ algorithm, digits, period }))),
);
// Times from the epoch to 2100, including step boundaries and the 2^31 edge.
const TIMES = [0, 29, 30, 59, 60, 1_111_111_109, 1_234_567_890, 1_700_000_000, 2_000_000_000, 2_147_483_647, 4_102_444_800];

/** A deterministic secret per combination and length, so failures reproduce. */
function secretFor(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (seed * 31 + i * 17 + 7) & 0xff;
  return b;
}

describe("agreement with otplib", () => {
  it.each(COMBOS)("matches otplib for $algorithm, $digits digits, $period s", ({ algorithm, digits, period }) => {
    for (const [i, length] of [16, 20, 32, 40, 64].entries()) {
      const key = secretFor(length, i + digits + period);
      for (const base of TIMES) {
        for (let k = 0; k < 5; k++) {
          const t = base + k * 13;
          const theirs = generateSync({
            secret: new Uint8Array(key),
            algorithm: algorithm.toLowerCase() as HashAlgorithm,
            digits,
            period,
            epoch: t,
          });
          expect(totpCode(key, algorithm, digits, period, t)).toBe(theirs);
        }
      }
    }
  });
});

describe("agreement with oathtool", () => {
  it.each(COMBOS)("matches oathtool for $algorithm, $digits digits, $period s", ({ algorithm, digits, period }) => {
    for (const [i, length] of [16, 20, 40, 64].entries()) {
      const key = secretFor(length, i * 3 + digits);
      for (const t of [59, 1_111_111_109, 1_700_000_000, 2_000_000_000]) {
        // -w 25 prints the codes of 26 consecutive steps starting at t.
        const out = execFileSync(
          "oathtool",
          [`--totp=${algorithm.toLowerCase()}`, "-d", String(digits), "-s", String(period), "-w", "25", "-N", `@${t}`, key.toString("hex")],
          { encoding: "utf8" },
        )
          .trim()
          .split("\n");
        expect(out).toHaveLength(26);
        const start = totpStep(t, period);
        const ours = out.map((_, j) => totpCode(key, algorithm, digits, period, (start + j) * period));
        expect(ours).toEqual(out);
      }
    }
  });
});
