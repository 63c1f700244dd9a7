import { failedPrecondition } from "../../errors.js";
import { factorFromRow } from "../../factors/factor-row.js";
import type { LoginAttempt, LoginProof, LoginProvider, ProofOutcome, ProviderDeps } from "../../login/provider.js";
import { relyingPartyFor } from "../../relying-party/index.js";
import { findCredential, listCredentials } from "../helpers/credential-store.js";
import { checkAssertion, checkUnknownCredential, webauthnAmr } from "./check-assertion.js";
import { requestOptions } from "./request-options.js";

/**
 * WebAuthn as a second factor at Challenge: the user's ACTIVE second-factor
 * credentials, and request options listing exactly those (never a
 * passwordless credential: one token, one role).
 */
export const webauthnLoginProvider: LoginProvider = {
  name: "webauthn",
  async options(deps, tenant, userId, ctx) {
    const rows = await listCredentials(deps.db, tenant, userId, "webauthn");
    if (rows.length === 0) return undefined;
    const option = { provider: "webauthn" as const, factors: rows.map(factorFromRow), turnsOnSecondFactor: true };
    // Without a Challenge's context (a listing, not a login) there is no challenge to sign.
    if (ctx === undefined) return option;
    const rp = await relyingPartyFor(deps, tenant);
    const options = await requestOptions({ rp, role: "webauthn", challenge: ctx.webauthnChallenge, allow: rows });
    return { ...option, webauthnRequestOptionsJson: JSON.stringify(options) };
  },
};

/**
 * WebAuthn as a second factor at Verify: the credential is found by id within
 * the tenant and must be one of this user's second-factor credentials; a
 * passwordless credential of the user's is WRONG_ROLE, anyone else's is an
 * unknown factor. The assertion must answer the transaction's challenge.
 */
export async function verifyWebAuthnProof(
  deps: ProviderDeps,
  attempt: LoginAttempt,
  proof: Extract<LoginProof, { kind: "webauthn" }>,
): Promise<ProofOutcome> {
  const tenant = attempt.meta.caller.tenant;
  // Ensure the transaction offered WebAuthn (its challenge is what the assertion must sign).
  if (attempt.challenge === undefined) {
    throw failedPrecondition("this login transaction did not offer WebAuthn; open a new one", "WEBAUTHN_NOT_OFFERED");
  }
  const row = await findCredential(deps.db, tenant, proof.assertion.id);
  // Ensure the credential is this user's; otherwise do the same signature work on a dummy key.
  if (row === undefined || row.user_id !== attempt.userId) {
    await checkUnknownCredential(deps, attempt.meta.caller.tenant, proof.assertion, attempt.challenge);
    return { verified: false, provider: "webauthn", reason: "unknown_factor", factorId: "" };
  }
  // Ensure it is a second-factor credential, not a passwordless one.
  if (row.kind !== "webauthn") return { verified: false, provider: "webauthn", reason: "wrong_role", factorId: row.id };

  const outcome = await checkAssertion(deps, attempt.meta, {
    credential: row,
    role: "webauthn",
    response: proof.assertion,
    challenge: attempt.challenge,
    now: attempt.now,
    spend: attempt.spend,
  });
  if (!outcome.verified) return { verified: false, provider: "webauthn", reason: outcome.reason, factorId: outcome.factorId };
  return {
    verified: true,
    provider: "webauthn",
    factorId: outcome.factorId,
    amr: webauthnAmr("webauthn", outcome.userVerified),
    driftSeconds: 0,
    resynced: false,
  };
}
