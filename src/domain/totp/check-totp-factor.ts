import { DUMMY_TOTP_KEY, verifyTotpWindow, type TotpWindowResult } from "../../core/index.js";
import { factorSecretAad, type Keyring } from "../../crypto/keyring.js";
import { otpStateOf, type FactorRow } from "../factors/factor-row.js";
import { decideTotp, type TotpDecision } from "./decide-totp.js";

/**
 * Checks a code against one TOTP factor row: opens its sealed secret, runs
 * the constant-work window, and decides (accept / replayed / resync / wrong).
 * Writes nothing.
 */
export function checkTotpFactor(
  keyring: Keyring,
  row: FactorRow,
  code: string,
  now: Date,
  window: number,
): TotpDecision {
  if (row.secret_sealed === null || row.algorithm === null) throw new Error(`TOTP factor ${row.id} has no secret`);
  const key = keyring.open(row.secret_sealed, factorSecretAad(row.tenant_id, row.user_id, row.id));
  try {
    const state = otpStateOf(row);
    const result = verifyTotpWindow({
      key,
      algorithm: row.algorithm,
      digits: row.digits === 8 ? 8 : 6,
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
 * The same work as checking one factor, on a dummy key, for an unknown user
 * or factor, so the answer takes as long as a real check (DESIGN "Constant
 * work"). The result is always discarded.
 */
export function checkDummyTotp(code: string, now: Date, window: number): TotpWindowResult {
  return verifyTotpWindow({ ...DUMMY_TOTP_KEY, code, nowSeconds: Math.floor(now.getTime() / 1000), driftSteps: 0, window });
}
