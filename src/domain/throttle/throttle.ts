import { metrics } from "../../metrics/index.js";
import type { Queryable } from "../../store/db.js";
import type { Clock } from "../clock.js";
import { throttled, type DomainError } from "../errors.js";
import { admitOne, selectThrottle } from "./store.js";

/**
 * RESOURCE_EXHAUSTED for an attempt the throttle did not admit, with the
 * remaining wait (RetryInfo); a second when the wait is unknown (the row
 * changed under a concurrent attempt).
 */
export function throttleRefusal(blockedUntil: Date | null | undefined, now: Date): DomainError {
  metrics.throttleRefusal();
  return throttled(blockedUntil == null ? 1000 : Math.max(1, blockedUntil.getTime() - now.getTime()));
}

/**
 * Admits one verification attempt for (tenant, user), or throws
 * RESOURCE_EXHAUSTED with the remaining wait: the standalone form of the
 * admission every verifying flow composes into its first statement.
 */
export async function admitAttempt(deps: { db: Queryable; clock: Clock }, tenant: string, userId: string): Promise<void> {
  const now = deps.clock.now();
  const r = await admitOne(deps.db, tenant, userId, now);
  if (!r.admitted) throw throttleRefusal(r.blockedUntil, now);
}

/** The user's throttle state, for administrators and tests. */
export async function throttleState(
  deps: { db: Queryable },
  tenant: string,
  userId: string,
): Promise<{ failures: number; lastFailureAt: Date | undefined; blockedUntil: Date | undefined }> {
  const row = await selectThrottle(deps.db, tenant, userId);
  return { failures: row?.failures ?? 0, lastFailureAt: row?.lastFailureAt ?? undefined, blockedUntil: row?.blockedUntil ?? undefined };
}
