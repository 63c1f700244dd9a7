import { TransactionSpentError, type LoginAttempt, type LoginProvider, type ProofOutcome, type ProviderDeps } from "../login/provider.js";
import { redeemBackupCode } from "./redeem.js";
import { countRemaining } from "./status.js";

/** Verify's `backup_code` proof as the login flow passes it to a provider. */
export interface BackupCodeLoginProof {
  kind: "backup_code";
  code: string;
}

/**
 * RFC 8176 AMR values for a backup code login: `otp` (a one-time password)
 * and `mfa`, since twofold only checks a second factor after the caller's first.
 */
export const BACKUP_CODE_AMR: readonly string[] = ["otp", "mfa"];

/**
 * Backup codes at Challenge: offered while the user has unused codes, but
 * never a reason to require 2FA (`turnsOnSecondFactor: false`): only real
 * factors turn it on.
 */
export const backupCodeLoginProvider: LoginProvider = {
  name: "backup_code",
  async options(deps, tenant, userId) {
    if ((await countRemaining(deps, tenant, userId)) === 0) return undefined;
    return { provider: "backup_code", factors: [], turnsOnSecondFactor: false };
  },
};

/**
 * Backup codes at Verify. The code is consumed and the login transaction
 * spent in one database transaction, so both happen or neither: a code is
 * never burnt for a login that another attempt already completed. The login
 * flow has already passed the throttle and audits the outcome.
 */
export async function verifyBackupCodeProof(deps: ProviderDeps, attempt: LoginAttempt, proof: BackupCodeLoginProof): Promise<ProofOutcome> {
  const outcome = await deps.db.transaction(async (tx) => {
    const redeemed = await redeemBackupCode({ ...deps, db: tx }, attempt.meta, attempt.userId, proof.code);
    if (redeemed.ok && !(await attempt.spend(tx))) throw new TransactionSpentError();
    return redeemed;
  });
  if (!outcome.ok) return { verified: false, provider: "backup_code", reason: outcome.reason, factorId: "" };
  return { verified: true, provider: "backup_code", factorId: "", amr: [...BACKUP_CODE_AMR], driftSeconds: 0, resynced: false };
}
