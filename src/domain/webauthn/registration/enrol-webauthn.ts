import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import type { AppDeps } from "../../../app.js";
import { recordAudit } from "../../audit/index.js";
import type { RequestMeta } from "../../caller.js";
import { failedPrecondition } from "../../errors.js";
import { MAX_FACTORS_PER_USER, PENDING_TTL_MS, type Factor } from "../../factors/factor.js";
import { factorFromRow } from "../../factors/factor-row.js";
import { purgeLapsed } from "../../factors/purge-lapsed.js";
import { relyingPartyFor } from "../../relying-party/index.js";
import { CHALLENGE_BYTES } from "../helpers/ceremony-policy.js";
import { insertPendingWebAuthnFactor, listCredentials } from "../helpers/credential-store.js";
import { userHandleFor } from "../helpers/user-handle.js";
import { creationOptions } from "./creation-options.js";

/** The user, the label they will recognise the key by, and the ceremony's role and names. */
export interface EnrolWebAuthnInput {
  userId: string;
  label: string;
  passwordless: boolean;
  /** user.name for the authenticator's account list; empty means the user id. */
  userName: string;
  /** user.displayName; empty means the user name. */
  userDisplayName: string;
}

/**
 * Starts a WebAuthn enrolment: a PENDING factor (WEBAUTHN or PASSWORDLESS)
 * for 10 minutes holding the registration challenge, and the creation
 * options JSON the caller's page passes to navigator.credentials.create().
 */
export async function enrolWebAuthn(
  deps: Pick<AppDeps, "db" | "clock" | "random" | "config" | "logger">,
  meta: RequestMeta,
  input: EnrolWebAuthnInput,
): Promise<{ factor: Factor; creationOptionsJson: string }> {
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  const role = input.passwordless ? "passwordless" : "webauthn";
  await purgeLapsed(deps, meta, input.userId, now);

  const rp = await relyingPartyFor(deps, tenant);
  const userHandle = await userHandleFor(deps.db, deps, tenant, input.userId, now);
  const existing = await listCredentials(deps.db, tenant, input.userId);
  const userName = input.userName !== "" ? input.userName : input.userId;
  const options: PublicKeyCredentialCreationOptionsJSON = await creationOptions({
    rp,
    role,
    userHandle,
    userName,
    userDisplayName: input.userDisplayName !== "" ? input.userDisplayName : userName,
    challenge: deps.random.bytes(CHALLENGE_BYTES),
    existing,
  });

  const id = deps.random.uuid();
  const row = await insertPendingWebAuthnFactor(
    deps.db,
    {
      tenant,
      userId: input.userId,
      id,
      role,
      label: input.label,
      createdAt: now,
      pendingExpiresAt: new Date(now.getTime() + PENDING_TTL_MS),
      challenge: options.challenge,
    },
    MAX_FACTORS_PER_USER,
  );
  if (row === undefined) {
    throw failedPrecondition(`a user may hold at most ${MAX_FACTORS_PER_USER} factors`, "TOO_MANY_FACTORS");
  }
  await recordAudit(deps, deps.db, meta, now, {
    kind: "factor.enrolled",
    userId: input.userId,
    factorId: id,
    details: { factor_kind: role, rp_id: rp.rpId, excluded_credentials: existing.length },
  });
  return { factor: factorFromRow(row), creationOptionsJson: JSON.stringify(options) };
}
