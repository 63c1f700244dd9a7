import { timingSafeEqual } from "node:crypto";
import type { AppDeps } from "../../app.js";
import { writeAudit } from "../backup-codes/audit.js";
import { normaliseCrockford } from "../backup-codes/crockford.js";
import type { RequestMeta } from "../caller.js";
import { admitOrAudit, throttleSuccess } from "../throttle/index.js";
import { isLive, type AppPasswordView } from "./app-password.js";
import { APP_PASSWORD_HASH_PURPOSE, APP_PASSWORD_SYMBOLS } from "./rules.js";
import { recordUse, selectById, selectByHash } from "./store.js";

export interface VerifyAppPasswordInput {
  userId: string;
  /** As typed; normalised like backup codes (case, spaces, dashes, O/0, I/L/1). */
  password: string;
  requiredScope: string;
}

/** Why an app password was refused. */
export type AppPasswordRefusal = "wrong_code" | "expired" | "revoked" | "out_of_scope";

export type VerifyAppPasswordOutcome =
  | { ok: true; appPassword: AppPasswordView }
  | { ok: false; reason: "wrong_code" }
  /** The password is right but may not be used: the app password it matched is named. */
  | { ok: false; reason: Exclude<AppPasswordRefusal, "wrong_code">; appPassword: AppPasswordView };

/**
 * Checks an app password for a scope, bypassing the second factor only for
 * the scopes it was created with.
 *
 * The attempt first passes the user's shared throttle (the one the login
 * flow uses, across providers): a waiting user is refused with
 * RESOURCE_EXHAUSTED before the password is looked at. The password is
 * normalised, hashed under the server pepper and found with one index probe
 * on (tenant, user, hash); the stored hash is re-compared in constant time.
 * Every refusal (wrong, revoked, expired, out of scope) stays counted as a
 * failure; only a success resets the throttle, and records the time and
 * client ip of the use.
 */
export async function verifyAppPassword(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "logger">,
  meta: RequestMeta,
  input: VerifyAppPasswordInput,
): Promise<VerifyAppPasswordOutcome> {
  const tenant = meta.caller.tenant;
  const { userId } = input;
  const now = deps.clock.now();
  const refused = async (reason: AppPasswordRefusal, appPasswordId = ""): Promise<void> => {
    await writeAudit(deps, deps.db, meta, now, {
      userId,
      kind: "app_password.refused",
      factorId: appPasswordId,
      details: { reason, scope: input.requiredScope },
    });
  };

  // Ensure the user is not waiting out earlier failures; the password is not evaluated if so.
  // The attempt counts as a failure from here until a success resets it.
  await admitOrAudit(deps, meta, userId, now);

  // Ensure the password is one of the user's (malformed input simply does not match).
  const normalised = normaliseCrockford(input.password, APP_PASSWORD_SYMBOLS);
  const hash = deps.keyring.keyedHash(APP_PASSWORD_HASH_PURPOSE, normalised ?? "");
  const found = normalised === undefined ? undefined : await selectByHash(deps.db, tenant, userId, hash);
  if (found === undefined || found.hash.length !== hash.length || !timingSafeEqual(found.hash, hash)) {
    await refused("wrong_code");
    return { ok: false, reason: "wrong_code" };
  }

  // Ensure it is live and covers the scope.
  const reason = refusalOf(found.view, input.requiredScope, now);
  if (reason !== undefined) {
    await refused(reason, found.view.id);
    return { ok: false, reason, appPassword: found.view };
  }

  // Record the use; a revocation that landed since the lookup wins.
  const used = await recordUse(deps.db, tenant, userId, found.view.id, now, meta.clientIp);
  if (used === undefined) {
    const current = (await selectById(deps.db, tenant, userId, found.view.id)) ?? found.view;
    const late = refusalOf(current, input.requiredScope, now) ?? "revoked";
    await refused(late, current.id);
    return { ok: false, reason: late, appPassword: current };
  }
  await throttleSuccess(deps, tenant, userId);
  await writeAudit(deps, deps.db, meta, now, { userId, kind: "app_password.verified", factorId: used.id, details: { scope: input.requiredScope } });
  return { ok: true, appPassword: used };
}

function refusalOf(p: AppPasswordView, scope: string, now: Date): Exclude<AppPasswordRefusal, "wrong_code"> | undefined {
  if (p.revokedAt !== undefined) return "revoked";
  if (!isLive(p, now)) return "expired";
  if (!p.scopes.includes(scope)) return "out_of_scope";
  return undefined;
}
