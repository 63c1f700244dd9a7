import type { AppDeps } from "../../app.js";
import { recordAudit } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { DomainError } from "../errors.js";
import { admitAttempt } from "./throttle.js";

/**
 * Admits one attempt for the user, or audits `throttle.blocked` and rethrows
 * RESOURCE_EXHAUSTED: a refusal is a verification outcome and leaves a trail.
 */
export async function admitOrAudit(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  meta: RequestMeta,
  userId: string,
  now: Date,
): Promise<void> {
  try {
    await admitAttempt(deps, meta.caller.tenant, userId);
  } catch (err) {
    if (err instanceof DomainError && err.kind === "resource_exhausted") {
      const retryAfterMs = err.details.retryAfterMs ?? 0;
      await recordAudit(deps, deps.db, meta, now, { kind: "throttle.blocked", userId, details: { retry_after_ms: retryAfterMs } });
    }
    throw err;
  }
}
