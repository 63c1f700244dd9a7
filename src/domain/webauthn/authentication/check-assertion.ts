import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { AppDeps } from "../../../app.js";
import { recordAudit } from "../../audit/index.js";
import type { RequestMeta } from "../../caller.js";
import type { FailureReason } from "../../factors/failure-reason.js";
import { TransactionSpentError } from "../../login/provider.js";
import { relyingPartyFor } from "../../relying-party/index.js";
import type { Queryable } from "../../../store/db.js";
import type { CredentialRow, WebAuthnRole } from "../helpers/credential-row.js";
import { advanceSignCount, markCloneSuspected } from "../helpers/credential-store.js";
import { dummyCredential } from "../helpers/dummy-credential.js";
import { decideCounter } from "./decide-counter.js";
import { verifyAssertion } from "./verify-assertion.js";

/** An accepted assertion, or why not (an ordinary outcome). */
export type AssertionOutcome =
  | { verified: true; factorId: string; userVerified: boolean }
  | { verified: false; reason: FailureReason; factorId: string };

/**
 * Checks an assertion from a credential already known to be the right one
 * for the transaction (owner and role checked by the caller), then, in one
 * database transaction, advances its counter with the conditional UPDATE
 * and spends the login transaction. In order:
 * - a factor marked clone-suspected stays refused until it is removed;
 * - the signature and ceremony data must verify;
 * - the counter must increase (else: mark, audit `webauthn.clone_suspected`);
 * - the counter update and the spend happen together or not at all.
 */
export async function checkAssertion(
  deps: Pick<AppDeps, "db" | "config" | "logger">,
  meta: RequestMeta,
  opts: {
    credential: CredentialRow;
    role: WebAuthnRole;
    response: AuthenticationResponseJSON;
    challenge: string;
    now: Date;
    spend(q: Queryable): Promise<boolean>;
  },
): Promise<AssertionOutcome> {
  const row = opts.credential;
  const tenant = meta.caller.tenant;

  // Ensure a key suspected of being cloned no longer logs in.
  if (row.clone_suspected) return { verified: false, reason: "clone_suspected", factorId: row.id };

  // Ensure the assertion verifies against the stored key, challenge, origins and rp id.
  const rp = await relyingPartyFor(deps, tenant);
  const result = await verifyAssertion(deps, { response: opts.response, challenge: opts.challenge, rp, role: opts.role, credential: row });
  if (!result.ok) return { verified: false, reason: result.reason, factorId: row.id };

  // Ensure the signature counter moved forward (W3C WebAuthn §6.1.1).
  const stored = Number(row.sign_count);
  if (decideCounter(stored, result.newCounter) === "clone_suspected") {
    await markCloneSuspected(deps.db, tenant, row.user_id, row.id);
    await recordAudit(deps, deps.db, meta, opts.now, {
      kind: "webauthn.clone_suspected",
      userId: row.user_id,
      factorId: row.id,
      details: { stored_counter: stored, received_counter: result.newCounter, factor_kind: opts.role },
    });
    return { verified: false, reason: "clone_suspected", factorId: row.id };
  }

  // Burn the counter and spend the transaction together.
  const accepted = await deps.db.transaction(async (tx) => {
    const updated = await advanceSignCount(tx, {
      tenant,
      userId: row.user_id,
      id: row.id,
      oldCount: stored,
      newCount: result.newCounter,
      backedUp: result.backedUp,
      now: opts.now,
    });
    if (updated === undefined) return false;
    if (!(await opts.spend(tx))) throw new TransactionSpentError();
    return true;
  });
  if (!accepted) return { verified: false, reason: "replayed", factorId: row.id };
  return { verified: true, factorId: row.id, userVerified: result.userVerified };
}

/**
 * The work of checking an assertion, on a dummy key, for a credential id
 * that names nothing of the user's: the answer then takes about as long as
 * for a real credential (DESIGN "Constant work"). The result is discarded.
 */
export async function checkUnknownCredential(
  deps: Pick<AppDeps, "db" | "config" | "logger">,
  tenant: string,
  response: AuthenticationResponseJSON,
  challenge: string,
): Promise<void> {
  const rp = await relyingPartyFor(deps, tenant);
  await verifyAssertion({ logger: deps.logger }, { response, challenge, rp, role: "webauthn", credential: dummyCredential(response.id) });
}

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
