import { timingSafeEqual } from "node:crypto";
import { coreCounters, loadCode, prepareHotpKey, writeCode, type OtpAlgorithm, type OtpDigits } from "./hotp.js";
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
  | { kind: "replayed"; step: number; offset: number }
  | { kind: "outside_window"; step: number; offset: number }
  | { kind: "no_match" };


// Scratch buffers reused across calls (verification is synchronous).
const expected = Buffer.alloc(8);
const given = Buffer.alloc(8);

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
  // A code of the wrong length can never match, but is loaded and compared all the same.
  const lengthOk = loadCode(code, digits, given);

  const lastStep = input.lastStep ?? -1;
  // The selection is arithmetic on 0/1 flags rather than branches on where a
  // code matched, so a match costs the same instructions as a miss.
  let bestStep = -1;
  let bestDistance = RESYNC_RANGE + 1;
  let usedStep = -1;
  const ok = +lengthOk;
  // Views of the first `digits` bytes, made once: the HMAC loop writes `expected` under them.
  const expectedCode = expected.subarray(0, digits);
  const givenCode = given.subarray(0, digits);
  const hmac = prepareHotpKey(key, algorithm);
  try {
    for (let d = -RESYNC_RANGE; d <= RESYNC_RANGE; d++) {
      const step = center + d;
      // Steps before the epoch do not exist; compute step 0 instead and ignore it.
      const valid = +(step >= 0);
      writeCode(hmac.value(Math.max(step, 0)), digits, expected);
      coreCounters.compares++;
      const hit = +timingSafeEqual(expectedCode, givenCode) & valid & ok;
      const distance = Math.abs(d);
      const unused = +(step > lastStep);
      const used = hit & (unused ^ 1);
      const better = hit & unused & +(distance < bestDistance);
      usedStep += used * (step - usedStep);
      bestStep += better * (step - bestStep);
      bestDistance += better * (distance - bestDistance);
    }
  } finally {
    hmac.wipe();
  }
  // One result of the same shape for every outcome (no allocation only on a miss).
  const found = bestStep >= 0;
  const kind = found && bestDistance <= window ? "in_window" : usedStep >= 0 ? "replayed" : found ? "outside_window" : "no_match";
  const step = kind === "replayed" ? usedStep : bestStep;
  return { kind, step, offset: step - current } as TotpWindowResult;
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
