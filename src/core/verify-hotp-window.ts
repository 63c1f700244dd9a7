import { timingSafeEqual } from "node:crypto";
import { coreCounters, loadCode, prepareHotpKey, writeCode, type OtpAlgorithm, type OtpDigits } from "./hotp.js";

/** RFC 4226 §7.4 look-ahead: how many counters past the expected one a code may be and still log in. */
export const HOTP_LOOK_AHEAD = 10;
/** How far ahead a code is remembered for the two-consecutive-codes resync (docs/design.md "TOTP and HOTP"). */
export const HOTP_RESYNC_RANGE = 1000;
/**
 * Counters before the expected one that are checked too, only so a recently
 * used code is answered "replayed" rather than "wrong code".
 */
export const HOTP_LOOK_BEHIND = 10;

/** HMACs per HOTP verification at the service's configuration (look-behind + resync range + 1). */
export const HOTP_STEPS_PER_VERIFY = HOTP_LOOK_BEHIND + HOTP_RESYNC_RANGE + 1;

/** An HOTP key and its parameters, as stored for a factor. */
export interface HotpKey {
  key: Uint8Array;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
}

/** One HOTP verification: the key, the code sent and the counter the service expects next. */
export interface HotpWindowInput extends HotpKey {
  /** ASCII digits (validated upstream). */
  code: string;
  /** The next counter the token should show (last accepted + 1). */
  expectedCounter: number;
  /** Counters after the expected one accepted outright (HOTP_LOOK_AHEAD). */
  lookAhead: number;
  /** Counters after the expected one worth remembering for resync (HOTP_RESYNC_RANGE ≥ lookAhead). */
  resyncRange: number;
  /** Counters before the expected one reported as replayed (HOTP_LOOK_BEHIND). */
  lookBehind: number;
}

/** Where an HOTP code matched, relative to the expected counter. */
export type HotpWindowResult =
  | { kind: "in_window"; counter: number }
  | { kind: "outside_window"; counter: number }
  | { kind: "replayed"; counter: number }
  | { kind: "no_match" };

const NO_MATCH: HotpWindowResult = { kind: "no_match" };

// Scratch buffers reused across calls (verification is synchronous).
const expected = Buffer.alloc(8);
const given = Buffer.alloc(8);
const given2 = Buffer.alloc(8);

/**
 * Verifies an HOTP code (RFC 4226) against every counter from
 * `expectedCounter − lookBehind` to `expectedCounter + resyncRange`, each
 * compared with `timingSafeEqual`: `lookBehind + resyncRange + 1` HMACs and
 * compares per call whatever the code, so the work depends only on the
 * configuration.
 *
 * A 6-digit code recurs about once in a million counters, so over 1,011
 * counters a code may match twice. Which match counts, in order:
 * 1. the nearest one within the look-ahead (`in_window`): the token's next code;
 * 2. one behind the expected counter (`replayed`): a code just used is far
 *    likelier to be sent again than a token to have jumped hundreds of
 *    counters, and answering "replayed" remembers no resync candidate;
 * 3. the nearest one beyond the look-ahead (`outside_window`).
 */
export function verifyHotpWindow(input: HotpWindowInput): HotpWindowResult {
  const { key, algorithm, digits, expectedCounter, lookAhead, resyncRange, lookBehind } = input;
  const lengthOk = loadCode(input.code, digits, given);
  let ahead = -1;
  let behind = -1;
  // Views of the first `digits` bytes, made once: the HMAC loop writes `expected` under them.
  const expectedCode = expected.subarray(0, digits);
  const givenCode = given.subarray(0, digits);
  const hmac = prepareHotpKey(key, algorithm);
  try {
    for (let c = expectedCounter - lookBehind; c <= expectedCounter + resyncRange; c++) {
      // Counters before 0 do not exist; compute counter 0 instead and ignore it.
      const valid = c >= 0;
      writeCode(hmac.value(valid ? c : 0), digits, expected);
      coreCounters.compares++;
      const equal = timingSafeEqual(expectedCode, givenCode) && valid && lengthOk;
      if (equal && c >= expectedCounter && ahead < 0) ahead = c;
      if (equal && c < expectedCounter) behind = c;
    }
  } finally {
    hmac.wipe();
  }
  if (ahead >= 0 && ahead - expectedCounter <= lookAhead) return { kind: "in_window", counter: ahead };
  if (behind >= 0) return { kind: "replayed", counter: behind };
  if (ahead >= 0) return { kind: "outside_window", counter: ahead };
  return NO_MATCH;
}

/** Two codes a token showed one after the other, and the counters or steps to search. */
export interface ConsecutivePairInput extends HotpKey {
  code1: string;
  code2: string;
  /** The first counter (HOTP) or time step (TOTP) code1 may belong to. */
  first: number;
  /** How many counters from `first` code1 may belong to. */
  count: number;
}

/**
 * Finds every counter c in [first, first + count) where code1 is the code at
 * c and code2 the code at c + 1: the explicit resync of ResyncFactor (HOTP
 * counters, or TOTP steps around a far-off clock). Always `count + 1` HMACs
 * and `2 · (count + 1)` compares, matched or not. Counters below 0 never match.
 */
export function findConsecutivePair(input: ConsecutivePairInput): number[] {
  const { key, algorithm, digits, first, count } = input;
  // Both codes loaded whatever the first one is, so a bad code1 costs what a good one does.
  const ok1 = loadCode(input.code1, digits, given);
  const ok2 = loadCode(input.code2, digits, given2);
  const ok = ok1 && ok2;
  const found: number[] = [];
  let previousWasCode1 = false;
  const expectedCode = expected.subarray(0, digits);
  const givenCode1 = given.subarray(0, digits);
  const givenCode2 = given2.subarray(0, digits);
  const hmac = prepareHotpKey(key, algorithm);
  try {
    for (let c = first; c <= first + count; c++) {
      const valid = c >= 0;
      writeCode(hmac.value(valid ? c : 0), digits, expected);
      coreCounters.compares += 2;
      const is1 = timingSafeEqual(expectedCode, givenCode1) && valid && ok;
      const is2 = timingSafeEqual(expectedCode, givenCode2) && valid && ok;
      if (is2 && previousWasCode1) found.push(c - 1);
      previousWasCode1 = is1 && c < first + count;
    }
  } finally {
    hmac.wipe();
  }
  return found;
}

/** A fixed 20-byte key for the dummy HOTP computation done for unknown users and factors. */
export const DUMMY_HOTP_KEY: HotpKey = {
  key: Buffer.from("twofold-dummy-hotp-2", "latin1"),
  algorithm: "SHA1",
  digits: 6,
};
