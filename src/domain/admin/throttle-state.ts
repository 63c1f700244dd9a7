import type { Queryable } from "../../store/db.js";

/** A user's login throttle as an administrator sees it. */
export interface ThrottleView {
  consecutiveFailures: number;
  lastFailureAt: Date | undefined;
  /** Undefined when the user may try now. */
  blockedUntil: Date | undefined;
}

/**
 * The user's throttle row (zeros when there is none); a wait that has passed
 * reads as none. Its own query because the shared throttleState has no
 * last_failure_at, which GetUserState reports.
 */
export async function selectThrottle(q: Queryable, tenant: string, userId: string, now: Date): Promise<ThrottleView> {
  const r = await q.query<{ failures: number; last_failure_at: Date | null; blocked_until: Date | null }>(
    `SELECT failures, last_failure_at, blocked_until FROM throttles WHERE tenant_id = $1::text AND user_id = $2::text`,
    [tenant, userId],
  );
  const row = r.rows[0];
  if (row === undefined) return { consecutiveFailures: 0, lastFailureAt: undefined, blockedUntil: undefined };
  const blocked = row.blocked_until !== null && row.blocked_until.getTime() > now.getTime();
  return {
    consecutiveFailures: row.failures,
    lastFailureAt: row.last_failure_at ?? undefined,
    blockedUntil: blocked ? (row.blocked_until ?? undefined) : undefined,
  };
}
