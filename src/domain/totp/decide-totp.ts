import type { TotpWindowResult } from "../../core/index.js";

/** What a TOTP code means for one factor, before anything is written. */
export type TotpDecision =
  | { kind: "accept"; step: number; driftSteps: number; resyncedFrom: number | undefined }
  | { kind: "replayed" }
  | { kind: "resync_needed"; step: number; offset: number }
  | { kind: "wrong_code" };

/** A factor's replay and resync memory, as decideTotp reads it. */
export interface OtpReplayState {
  lastStep: number;
  resyncStep: number | undefined;
  resyncOffset: number | undefined;
}

/**
 * Turns the core's classification into a decision (DESIGN "TOTP window"):
 * - in the window: accept, learning the offset as the new drift, unless the
 *   step was already used (replayed);
 * - outside the window but within ±10: accept if it is the very next step
 *   after the remembered out-of-window code, from the same offset (automatic
 *   resync); otherwise refuse and remember it. "Same offset" allows one step
 *   of slack: a token whose clock sits between two server steps shows its
 *   next code either one or zero steps later on the server's clock.
 */
export function decideTotp(result: TotpWindowResult, state: OtpReplayState): TotpDecision {
  if (result.kind === "no_match") return { kind: "wrong_code" };
  if (result.kind === "replayed" || result.step <= state.lastStep) return { kind: "replayed" };
  if (result.kind === "in_window") {
    return { kind: "accept", step: result.step, driftSteps: result.offset, resyncedFrom: undefined };
  }
  const { resyncStep, resyncOffset } = state;
  if (
    resyncStep !== undefined &&
    resyncOffset !== undefined &&
    result.step === resyncStep + 1 &&
    Math.abs(result.offset - resyncOffset) <= 1
  ) {
    return { kind: "accept", step: result.step, driftSteps: result.offset, resyncedFrom: resyncStep };
  }
  return { kind: "resync_needed", step: result.step, offset: result.offset };
}
