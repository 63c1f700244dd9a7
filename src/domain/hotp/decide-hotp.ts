import type { HotpWindowResult } from "../../core/index.js";
import type { OtpReplayState } from "../totp/decide-totp.js";

/** What an HOTP code means for one factor, before anything is written. */
export type HotpDecision =
  | { kind: "accept"; counter: number; resyncedFrom: number | undefined }
  | { kind: "replayed" }
  | { kind: "resync_needed"; counter: number }
  | { kind: "wrong_code" };

/**
 * Turns the core's classification into a decision (DESIGN "TOTP / HOTP"):
 * - within the look-ahead: accept, moving the counter past the match;
 * - beyond it but within the resync range: accept only if it is the counter
 *   right after the remembered out-of-window code (two consecutive codes,
 *   RFC 4226 §7.4); otherwise refuse and remember it;
 * - a counter already passed: replayed.
 */
export function decideHotp(result: HotpWindowResult, state: OtpReplayState): HotpDecision {
  if (result.kind === "no_match") return { kind: "wrong_code" };
  if (result.kind === "replayed" || result.counter <= state.lastStep) return { kind: "replayed" };
  if (result.kind === "in_window") return { kind: "accept", counter: result.counter, resyncedFrom: undefined };
  if (state.resyncStep !== undefined && result.counter === state.resyncStep + 1) {
    return { kind: "accept", counter: result.counter, resyncedFrom: state.resyncStep };
  }
  return { kind: "resync_needed", counter: result.counter };
}
