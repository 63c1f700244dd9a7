import {
  DUMMY_TOTP_KEY,
  HOTP_LOOK_AHEAD,
  HOTP_LOOK_BEHIND,
  HOTP_RESYNC_RANGE,
  verifyHotpWindow,
  verifyTotpWindow,
  type HotpWindowResult,
  type TotpWindowResult,
} from "../../core/index.js";
import { factorSecretAad, type Keyring } from "../../crypto/keyring.js";
import { otpStateOf, type FactorRow, type TokenProfile } from "../factors/index.js";

/**
 * What truly differs between TOTP and HOTP, in one table: how a code is
 * matched (the time window around the learned drift, or the counter
 * look-ahead), how the match becomes a decision, and the drift reported.
 * Everything else (spec, enrolment, confirmation, login, resync, store) is
 * one code path for both.
 */

/** A factor's replay and resync memory. */
export interface OtpReplayState {
  lastStep: number;
  resyncStep: number | undefined;
  resyncOffset: number | undefined;
}

/**
 * What a code means for one factor, before anything is written. `step` is a
 * TOTP time step or an HOTP counter; `offset` and `driftSteps` are always 0
 * for HOTP.
 */
export type OtpDecision =
  | { kind: "accept"; step: number; driftSteps: number; resyncedFrom: number | undefined }
  | { kind: "replayed" }
  | { kind: "resync_needed"; step: number; offset: number }
  | { kind: "wrong_code" };

/**
 * TOTP (RFC 6238) decision:
 * - in the window: accept, learning the offset as the new drift;
 * - a used step: replayed;
 * - outside the window but within ±10: accept if it is the very next step
 *   after the remembered out-of-window code, from the same offset (automatic
 *   resync); otherwise refuse and remember it. "Same offset" allows one step
 *   of slack: a token whose clock sits between two server steps shows its
 *   next code either one or zero steps later on the server's clock.
 */
export function decideTotp(result: TotpWindowResult, state: OtpReplayState): OtpDecision {
  if (result.kind === "no_match") return { kind: "wrong_code" };
  if (result.kind === "replayed" || result.step <= state.lastStep) return { kind: "replayed" };
  if (result.kind === "in_window") return { kind: "accept", step: result.step, driftSteps: result.offset, resyncedFrom: undefined };
  const { resyncStep, resyncOffset } = state;
  if (resyncStep !== undefined && resyncOffset !== undefined && result.step === resyncStep + 1 && Math.abs(result.offset - resyncOffset) <= 1) {
    return { kind: "accept", step: result.step, driftSteps: result.offset, resyncedFrom: resyncStep };
  }
  return { kind: "resync_needed", step: result.step, offset: result.offset };
}

/**
 * HOTP (RFC 4226) decision:
 * - within the look-ahead: accept, moving the counter past the match;
 * - beyond it but within the resync range: accept only if it is the counter
 *   right after the remembered out-of-window code (two consecutive codes,
 *   RFC 4226 §7.4); otherwise refuse and remember it;
 * - a counter already passed: replayed.
 */
export function decideHotp(result: HotpWindowResult, state: OtpReplayState): OtpDecision {
  if (result.kind === "no_match") return { kind: "wrong_code" };
  if (result.kind === "replayed" || result.counter <= state.lastStep) return { kind: "replayed" };
  if (result.kind === "in_window") return { kind: "accept", step: result.counter, driftSteps: 0, resyncedFrom: undefined };
  if (state.resyncStep !== undefined && result.counter === state.resyncStep + 1) {
    return { kind: "accept", step: result.counter, driftSteps: 0, resyncedFrom: state.resyncStep };
  }
  return { kind: "resync_needed", step: result.counter, offset: 0 };
}

/** Opens a factor's sealed secret for one use; the caller zeroes it. */
function openSecret(keyring: Keyring, row: FactorRow): Buffer {
  if (row.secret_sealed === null || row.algorithm === null) throw new Error(`OTP factor ${row.id} has no secret`);
  return keyring.open(row.secret_sealed, factorSecretAad(row.tenant_id, row.user_id, row.id));
}

/**
 * Checks a code against one OTP factor row: opens its sealed secret, runs
 * the constant-work window of its kind, and decides. `window` is the TOTP
 * acceptance window either side of the drift. Writes nothing.
 */
export function checkOtpFactor(keyring: Keyring, row: FactorRow, code: string, now: Date, window: number): OtpDecision {
  const key = openSecret(keyring, row);
  const state = otpStateOf(row);
  const algorithm = row.algorithm ?? "SHA1";
  const digits = row.digits === 8 ? 8 : 6;
  try {
    if (row.kind === "hotp") {
      const result = verifyHotpWindow({
        key,
        algorithm,
        digits,
        code,
        expectedCounter: state.lastStep + 1,
        lookAhead: HOTP_LOOK_AHEAD,
        resyncRange: HOTP_RESYNC_RANGE,
        lookBehind: HOTP_LOOK_BEHIND,
      });
      return decideHotp(result, state);
    }
    const result = verifyTotpWindow({
      key,
      algorithm,
      digits,
      period: row.period_seconds === 60 ? 60 : 30,
      code,
      nowSeconds: Math.floor(now.getTime() / 1000),
      driftSteps: row.drift_steps,
      window,
      lastStep: state.lastStep,
    });
    return decideTotp(result, state);
  } finally {
    key.fill(0);
  }
}

/**
 * The work of one TOTP factor's check, on a dummy key, for a user with no
 * TOTP factor or a proof naming an unknown one, so the answer takes as long
 * as a real check. The result is discarded.
 */
export function checkDummyTotp(code: string, now: Date, window: number): void {
  verifyTotpWindow({ ...DUMMY_TOTP_KEY, code, nowSeconds: Math.floor(now.getTime() / 1000), driftSteps: 0, window });
}

/**
 * RFC 8176 AMR values for an OTP login: `otp`, the key's protection (`hwk`
 * on a hardware token, `swk` in an app), and `mfa`, since twofold only ever
 * checks a second factor after the caller's first.
 */
export function otpAmr(profile: TokenProfile): string[] {
  return ["otp", profile === "software" ? "swk" : "hwk", "mfa"];
}

/** The clock drift a factor reports, seconds: TOTP's learned offset; HOTP has no clock. */
export function otpDriftSeconds(row: Pick<FactorRow, "kind" | "period_seconds">, driftSteps: number): number {
  return row.kind === "totp" ? driftSteps * (row.period_seconds ?? 30) : 0;
}
