import { backupCodeLoginProvider, verifyBackupCodeProof } from "../backup-codes/backup-code-login.js";
import { totpLoginProvider, verifyTotpProof } from "../totp/totp-login.js";
import type { LoginAttempt, LoginProof, LoginProvider, ProofOutcome, ProofVerifier, ProviderDeps } from "./provider.js";

/**
 * The providers a Challenge lists, in the order offered. HOTP and WebAuthn
 * join here with their issue.
 */
export const loginProviders: readonly LoginProvider[] = [totpLoginProvider, backupCodeLoginProvider];

/** Which verifier checks each kind of proof. */
export const proofVerifiers: { [K in LoginProof["kind"]]: ProofVerifier<Extract<LoginProof, { kind: K }>> } = {
  otp: verifyTotpProof,
  backup_code: verifyBackupCodeProof,
};

/** Hands a proof to the verifier of its kind. */
export function checkProof(deps: ProviderDeps, attempt: LoginAttempt, proof: LoginProof): Promise<ProofOutcome> {
  switch (proof.kind) {
    case "otp":
      return proofVerifiers.otp(deps, attempt, proof);
    case "backup_code":
      return proofVerifiers.backup_code(deps, attempt, proof);
  }
}
