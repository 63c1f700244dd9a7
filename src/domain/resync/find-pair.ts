import { findConsecutivePair, HOTP_RESYNC_RANGE, totpStep, type OtpAlgorithm, type OtpDigits } from "../../core/index.js";
import { otpStateOf, type FactorRow } from "../factors/factor-row.js";

/** TOTP steps either side of the learned drift that ResyncFactor searches: one day's worth. */
export function totpResyncRange(periodSeconds: number): number {
  return Math.ceil(86_400 / periodSeconds);
}

/** Where a pair of consecutive codes sits: code1's counter or step, and the drift it teaches. */
export interface PairFound {
  first: number;
  driftSteps: number;
}

/**
 * Searches a factor's key for two consecutive codes, with constant work for
 * the factor's kind and period: HOTP from the next expected counter up to
 * HOTP_RESYNC_RANGE ahead (RFC 4226 §7.4), TOTP within ±1 day of the learned
 * drift. Among several matches (chance collisions) the one nearest the
 * expected counter or the learned drift wins; counters already used never do.
 */
export function findResyncPair(row: FactorRow, key: Uint8Array, code1: string, code2: string, now: Date): PairFound | undefined {
  const state = otpStateOf(row);
  const algorithm = row.algorithm as OtpAlgorithm;
  const digits: OtpDigits = row.digits === 8 ? 8 : 6;
  if (row.kind === "hotp") {
    const expected = state.lastStep + 1;
    const found = findConsecutivePair({ key, algorithm, digits, code1, code2, first: expected, count: HOTP_RESYNC_RANGE + 1 });
    const first = found[0];
    return first === undefined ? undefined : { first, driftSteps: 0 };
  }
  const period = row.period_seconds === 60 ? 60 : 30;
  const current = totpStep(Math.floor(now.getTime() / 1000), period);
  const center = current + row.drift_steps;
  const range = totpResyncRange(period);
  const found = findConsecutivePair({ key, algorithm, digits, code1, code2, first: center - range, count: 2 * range + 1 });
  let best: number | undefined;
  for (const s of found) {
    if (s <= state.lastStep) continue;
    if (best === undefined || Math.abs(s - center) < Math.abs(best - center)) best = s;
  }
  // code2 is the code the token shows now: its step minus the server's is the token's clock offset.
  return best === undefined ? undefined : { first: best, driftSteps: best + 1 - current };
}
