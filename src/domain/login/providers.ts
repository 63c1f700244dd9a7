import { totpLoginProvider, verifyTotpProof } from "../totp/totp-login.js";
import type { LoginProof, LoginProvider, ProofVerifier } from "./provider.js";

/**
 * The providers a Challenge lists, in the order offered. HOTP, WebAuthn and
 * backup codes join here with their issue.
 */
export const loginProviders: readonly LoginProvider[] = [totpLoginProvider];

/** Which verifier checks each kind of proof. */
export const proofVerifiers: { [K in LoginProof["kind"]]: ProofVerifier<Extract<LoginProof, { kind: K }>> } = {
  otp: verifyTotpProof,
};
