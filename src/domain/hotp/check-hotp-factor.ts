import { HOTP_LOOK_AHEAD, HOTP_LOOK_BEHIND, HOTP_RESYNC_RANGE, verifyHotpWindow } from "../../core/index.js";
import { factorSecretAad, type Keyring } from "../../crypto/keyring.js";
import { otpStateOf, type FactorRow } from "../factors/factor-row.js";
import { decideHotp, type HotpDecision } from "./decide-hotp.js";

/**
 * Checks a code against one HOTP factor row: opens its sealed secret, runs the
 * constant-work window from the next expected counter (last accepted + 1),
 * and decides. Writes nothing.
 */
export function checkHotpFactor(keyring: Keyring, row: FactorRow, code: string): HotpDecision {
  if (row.secret_sealed === null || row.algorithm === null) throw new Error(`HOTP factor ${row.id} has no secret`);
  const key = keyring.open(row.secret_sealed, factorSecretAad(row.tenant_id, row.user_id, row.id));
  const state = otpStateOf(row);
  try {
    const result = verifyHotpWindow({
      key,
      algorithm: row.algorithm,
      digits: row.digits === 8 ? 8 : 6,
      code,
      expectedCounter: state.lastStep + 1,
      lookAhead: HOTP_LOOK_AHEAD,
      resyncRange: HOTP_RESYNC_RANGE,
      lookBehind: HOTP_LOOK_BEHIND,
    });
    return decideHotp(result, state);
  } finally {
    key.fill(0);
  }
}
