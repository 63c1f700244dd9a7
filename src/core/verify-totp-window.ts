import { timingSafeEqual } from "node:crypto";
import { coreCounters, hotpValue, writeCode, type OtpAlgorithm, type OtpDigits } from "./hotp.js";
import { totpStep, type TotpPeriod } from "./totp.js";

/**
 * How far from the learned drift a code may be and still be remembered for
 * automatic resync. The core always computes every step of
 * [drift − RESYNC_RANGE, drift + RESYNC_RANGE], so its work never depends on
 * where, or whether, a code matches.
 */
export const RESYNC_RANGE = 10;

/** Steps computed per TOTP verification (2 × RESYNC_RANGE + 1). */
export const TOTP_STEPS_PER_VERIFY = 2 * RESYNC_RANGE + 1;

/** A TOTP key and its parameters, as stored for a factor. */
export interface TotpKey {
  key: Uint8Array;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  period: TotpPeriod;
}

/** One verification: the key, the code sent, the server time and the factor's learned drift. */
export interface TotpWindowInput extends TotpKey {
  /** The code the user sent: ASCII digits (validated upstream). */
  code: string;
  /** The server's Unix time, seconds. */
  nowSeconds: number;
  /** The factor's learned clock offset, steps. */
  driftSteps: number;
  /** Acceptance window either side of the drift, steps (config.totpWindow, 1..3). */
  window: number;
  /** The last step the factor accepted (replay floor); steps up to it are used. Absent: none used. */
  lastStep?: number;
}

/**
 * The outcome of one TOTP verification. `offset` is the matched step minus the
 * server's current step: the token's clock offset, the drift to learn.
 */
export type TotpWindowResult =
  | { kind: "in_window"; step: number; offset: number }
  | { kind: "replayed"; step: number }
  | { kind: "outside_window"; step: number; offset: number }
  | { kind: "no_match" };

const NO_MATCH: TotpWindowResult = { kind: "no_match" };

// Scratch buffers reused across calls (verification is synchronous).
const expected = Buffer.alloc(8);
const given = Buffer.alloc(8);
const filler = Buffer.alloc(8);

/**
 * Verifies a TOTP code (RFC 6238) against every step within ±RESYNC_RANGE of
 * the learned drift, comparing each candidate with `timingSafeEqual` on
 * equal-length buffers. Every call does exactly TOTP_STEPS_PER_VERIFY HMACs
 * and as many compares, matched or not, in window or not; callers without a
 * real key (unknown user or factor) call it with {@link DUMMY_TOTP_KEY} to do
 * the same work.
 *
 * Where several steps match (a 6-digit code collides with probability about
 * 2·10⁻⁵ over 21 steps), which one counts, in order: the unused step nearest
 * the drift within the window (`in_window`); a used step, at or before
 * `lastStep` (`replayed`: a code sent again is likelier than a clock that
 * jumped); the unused step nearest the drift outside the window
 * (`outside_window`).
 */
export function verifyTotpWindow(input: TotpWindowInput): TotpWindowResult {
  const { key, algorithm, digits, period, code, driftSteps, window } = input;
  const current = totpStep(input.nowSeconds, period);
  const center = current + driftSteps;
  // A code of the wrong length can never match, but is compared all the same
  // (against a filler that differs from any digit) so the work is unchanged.
  const lengthOk = code.length === digits;
  given.write(lengthOk ? code : "", 0, "latin1");
  if (!lengthOk) filler.copy(given, 0, 0, digits);

  const lastStep = input.lastStep ?? -1;
  let bestStep = -1;
  let bestDistance = Number.POSITIVE_INFINITY;
  let usedStep = -1;
  for (let d = -RESYNC_RANGE; d <= RESYNC_RANGE; d++) {
    const step = center + d;
    // Steps before the epoch do not exist; compute step 0 instead and ignore it.
    const valid = step >= 0;
    writeCode(hotpValue(key, algorithm, valid ? step : 0), digits, expected);
    coreCounters.compares++;
    const equal = timingSafeEqual(expected.subarray(0, digits), given.subarray(0, digits)) && valid && lengthOk;
    const distance = d < 0 ? -d : d;
    if (equal && step <= lastStep) usedStep = step;
    if (equal && step > lastStep && distance < bestDistance) {
      bestStep = step;
      bestDistance = distance;
    }
  }
  if (bestStep >= 0 && bestDistance <= window) return { kind: "in_window", step: bestStep, offset: bestStep - current };
  if (usedStep >= 0) return { kind: "replayed", step: usedStep };
  if (bestStep >= 0) return { kind: "outside_window", step: bestStep, offset: bestStep - current };
  return NO_MATCH;
}

/**
 * A fixed 20-byte key for the dummy computation done for unknown users and
 * factors, so their verification costs the same as a real one.
 */
export const DUMMY_TOTP_KEY: TotpKey = {
  key: Buffer.from("twofold-dummy-key-20", "latin1"),
  algorithm: "SHA1",
  digits: 6,
  period: 30,
};
