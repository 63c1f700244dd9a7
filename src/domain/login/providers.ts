import { backupCodeLoginProvider, verifyBackupCodeProof } from "../backup-codes/backup-code-login.js";
import { hotpLoginProvider, verifyOtpProof } from "../hotp/index.js";
import { totpLoginProvider } from "../totp/totp-login.js";
import { verifyWebAuthnProof, webauthnLoginProvider } from "../webauthn/authentication/webauthn-login.js";
import type { LoginAttempt, LoginProof, LoginProvider, ProofOutcome, ProofVerifier, ProviderDeps } from "./provider.js";

/**
 * The providers a Challenge lists, in the order offered. HOTP and WebAuthn
 * join here with their issue.
 */
export const loginProviders: readonly LoginProvider[] = [totpLoginProvider, hotpLoginProvider, webauthnLoginProvider, backupCodeLoginProvider];

/** Which verifier checks each kind of proof. */
export const proofVerifiers: { [K in LoginProof["kind"]]: ProofVerifier<Extract<LoginProof, { kind: K }>> } = {
  // OtpProof carries TOTP and HOTP codes alike; the factor decides which.
  otp: verifyOtpProof,
  backup_code: verifyBackupCodeProof,
  webauthn: verifyWebAuthnProof,
};

/** Hands a proof to the verifier of its kind. */
export function checkProof(deps: ProviderDeps, attempt: LoginAttempt, proof: LoginProof): Promise<ProofOutcome> {
  switch (proof.kind) {
    case "otp":
      return proofVerifiers.otp(deps, attempt, proof);
    case "backup_code":
      return proofVerifiers.backup_code(deps, attempt, proof);
    case "webauthn":
      return proofVerifiers.webauthn(deps, attempt, proof);
  }
}
