import type { AppDeps } from "../../app.js";
import { recordAudit } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { purgeLapsedEnrolments } from "./factor-store.js";

/**
 * Deletes the user's enrolments that lapsed unconfirmed, with an audit event
 * each, so they stop counting against the factor limit.
 */
export async function purgeLapsed(
  deps: Pick<AppDeps, "db" | "logger">,
  meta: RequestMeta,
  userId: string,
  now: Date,
): Promise<void> {
  const ids = await purgeLapsedEnrolments(deps.db, meta.caller.tenant, userId, now);
  for (const id of ids) {
    await recordAudit(deps, deps.db, meta, now, { kind: "factor.expired", userId, factorId: id });
  }
}
