import { timingSafeEqual } from "node:crypto";
import type { AuditRowPart } from "../audit/index.js";
import { failedPrecondition } from "../errors.js";
import { factorFromRow, type Decision, type FactorRow, type LoginProof, type LoginProvider, type ProviderName } from "../factors/index.js";
import { requestOptions } from "./authentication/request-options.js";
import { verifyAssertion } from "./authentication/verify-assertion.js";
import type { WebAuthnRole } from "./helpers/ceremony-policy.js";
import { decideCounter } from "./helpers/decide-counter.js";
import { dummyCredential } from "./helpers/dummy-credential.js";
import { advanceSignCountCte, credentialByIdSql, credentialOwnerSql, markCloneSuspectedCte, roleOf } from "./store.js";

type WebAuthnProof = Extract<LoginProof, { kind: "webauthn" }>;
const PROVIDER: ProviderName = "webauthn";

/**
 * RFC 8176 AMR values for a WebAuthn login: `hwk` (a hardware key's proof of
 * possession), `pin` when the authenticator verified the user, and `mfa`
 * when the login combines two factors (a second factor after the caller's
 * password, or possession plus PIN when passwordless).
 */
export function webauthnAmr(role: WebAuthnRole, userVerified: boolean): string[] {
  const amr = ["hwk"];
  if (userVerified) amr.push("pin");
  if (role === "webauthn" || userVerified) amr.push("mfa");
  return amr;
}

function sameHandle(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = Buffer.from(a, "base64url");
  const y = Buffer.from(b, "base64url");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

function refused(reason: Extract<Decision, { verified: false }>["reason"], factorId: string): Decision {
  return { verified: false, provider: PROVIDER, reason, factorId };
}

/**
 * WebAuthn at Challenge and Verify, as a second factor and for passwordless
 * login (one token, one role: a credential never stands in for the other).
 *
 * Challenge offers the user's active second-factor credentials with request
 * options listing exactly those. Verify finds the credential by id within the
 * tenant (on a passwordless transaction its owner is the user), then, in
 * order:
 * - a second-factor transaction must have offered WebAuthn (its challenge is
 *   what the assertion signs);
 * - a credential that is not the user's costs the same signature check on a
 *   dummy key and is UNKNOWN_FACTOR; one of the other role is WRONG_ROLE;
 * - passwordless: the assertion's userHandle must be the owner's (W3C
 *   WebAuthn §7.2 step 6);
 * - a key marked clone-suspected stays refused until it is removed;
 * - the signature, challenge, origins, rp id and flags must verify;
 * - the counter must increase (W3C WebAuthn §6.1.1; else the factor is marked
 *   and `webauthn.clone_suspected` audited);
 * - the write advances the counter with the conditional UPDATE that is
 *   WebAuthn's replay guard.
 */
export const webauthnLoginProvider: LoginProvider<WebAuthnProof> = {
  proof: "webauthn",

  async offer(_deps, view) {
    const rows = view.factors.filter((f) => f.kind === "webauthn" && f.credential_id !== null);
    if (rows.length === 0) return [];
    const options = await requestOptions({ rp: view.relyingParty, role: "webauthn", challenge: view.webauthnChallenge, allow: rows });
    return [{ provider: "webauthn", factors: rows.map(factorFromRow), turnsOnSecondFactor: true, webauthnRequestOptionsJson: JSON.stringify(options) }];
  },

  candidatesSql(s, _userSql, proof) {
    s.define("credential", proof.assertion.id, "text");
    return credentialByIdSql(s);
  },

  identifySql(s, proof) {
    s.define("credential", proof.assertion.id, "text");
    return credentialOwnerSql(s);
  },

  async check(deps, attempt, proof, rows) {
    const challenge = attempt.challenge;
    // Ensure the transaction offered WebAuthn: its challenge is what the assertion must sign.
    if (challenge === undefined) {
      throw failedPrecondition("this login transaction did not offer WebAuthn; open a new one", "WEBAUTHN_NOT_OFFERED");
    }
    const rp = attempt.relyingParty;
    const role: WebAuthnRole = attempt.purpose === "passwordless" ? "passwordless" : "webauthn";
    const row: FactorRow | undefined = rows[0];
    // Ensure the credential is the user's; otherwise do the same signature work on a dummy key.
    if (row === undefined || row.user_id !== attempt.userId) {
      await verifyAssertion(deps, { response: proof.assertion, challenge, rp, role, credential: dummyCredential(proof.assertion.id) });
      return refused("unknown_factor", "");
    }
    // Ensure it is a credential of this transaction's role.
    if (roleOf(row.kind) !== role) return refused("wrong_role", row.id);
    // Ensure the authenticator's account is the owner's.
    if (role === "passwordless" && !sameHandle(proof.assertion.response.userHandle, attempt.userHandle)) return refused("invalid_assertion", row.id);
    // Ensure a key suspected of being cloned no longer logs in.
    if (row.clone_suspected) return refused("clone_suspected", row.id);

    // Ensure the assertion verifies against the stored key, challenge, origins and rp id.
    const result = await verifyAssertion(deps, { response: proof.assertion, challenge, rp, role, credential: row });
    if (!result.ok) return refused(result.reason, row.id);

    // Ensure the signature counter moved forward.
    const stored = Number(row.sign_count);
    if (decideCounter(stored, result.newCounter) === "clone_suspected") {
      const audit: AuditRowPart = {
        kind: "webauthn.clone_suspected",
        userId: row.user_id,
        factorId: row.id,
        details: { stored_counter: stored, received_counter: result.newCounter, factor_kind: role },
      };
      return { ...refused("clone_suspected", row.id), notes: [(s, when) => markCloneSuspectedCte(s, row.id, when)], audits: [audit] } as Decision;
    }
    const burn = { factorId: row.id, oldCount: stored, newCount: result.newCounter, backedUp: result.backedUp };
    return {
      verified: true,
      provider: PROVIDER,
      factorId: row.id,
      amr: webauthnAmr(role, result.userVerified),
      driftSeconds: 0,
      resynced: false,
      details: {},
      burn: { cte: (s, when) => advanceSignCountCte(s, burn, when), lostReason: "replayed" },
    };
  },
};
