import type { AppDeps } from "../../../app.js";
import { recordAudit } from "../../audit/index.js";
import type { RequestMeta } from "../../caller.js";
import { insertTransaction, TRANSACTION_TTL_MS } from "../../login/transaction-store.js";
import { relyingPartyFor } from "../../relying-party/index.js";
import { CHALLENGE_BYTES } from "../helpers/ceremony-policy.js";
import { requestOptions } from "./request-options.js";

/** A passwordless transaction and the request options to hand the browser. */
export interface PasswordlessChallengeResult {
  transactionId: string;
  expiresAt: Date;
  webauthnRequestOptionsJson: string;
}

/**
 * Opens a passwordless login transaction (5 minutes, single use) with no user:
 * the authenticator's discoverable credential names the user at Verify.
 * The request options list no credentials and require user verification.
 */
export async function passwordlessChallenge(
  deps: Pick<AppDeps, "db" | "clock" | "random" | "config" | "logger">,
  meta: RequestMeta,
): Promise<PasswordlessChallengeResult> {
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  const challenge = deps.random.bytes(CHALLENGE_BYTES).toString("base64url");
  const rp = await relyingPartyFor(deps, tenant);
  const options = await requestOptions({ rp, role: "passwordless", challenge, allow: [] });
  const transactionId = deps.random.uuid();
  const expiresAt = new Date(now.getTime() + TRANSACTION_TTL_MS);
  await insertTransaction(deps.db, { tenant, userId: "", id: transactionId, purpose: "passwordless", createdAt: now, expiresAt, challenge });
  await recordAudit(deps, deps.db, meta, now, {
    kind: "login.challenged",
    userId: "",
    details: { transaction_id: transactionId, purpose: "passwordless", providers: "webauthn" },
  });
  return { transactionId, expiresAt, webauthnRequestOptionsJson: JSON.stringify(options) };
}
