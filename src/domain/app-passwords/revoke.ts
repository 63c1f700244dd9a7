import type { AppDeps } from "../../app.js";
import { writeAudit } from "../backup-codes/audit.js";
import type { RequestMeta } from "../caller.js";
import { notFound } from "../errors.js";
import { markRevoked, selectById } from "./store.js";

/**
 * Revokes an app password, effective for the very next verification (which
 * reads the row). Revoking twice is fine; an id the user does not have is
 * NOT_FOUND, whoever else might own it.
 */
export async function revokeAppPassword(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  meta: RequestMeta,
  userId: string,
  appPasswordId: string,
): Promise<void> {
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  const revoked = await markRevoked(deps.db, tenant, userId, appPasswordId, now);
  if (revoked === undefined) {
    // Nothing changed: either it was revoked already (idempotent) or it is not the user's.
    if ((await selectById(deps.db, tenant, userId, appPasswordId)) === undefined) throw notFound("app password");
    return;
  }
  await writeAudit(deps, deps.db, meta, now, { userId, kind: "app_password.revoked", factorId: revoked.id });
}
