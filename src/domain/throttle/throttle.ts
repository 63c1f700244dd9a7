import { metrics } from "../../metrics/index.js";
import type { Queryable } from "../../store/db.js";
import type { Clock } from "../clock.js";
import { throttled } from "../errors.js";
import { FREE_FAILURES, MAX_WAIT_MS } from "./rules.js";

interface ThrottleDeps {
  db: Queryable;
  clock: Clock;
}

/**
 * Admits one verification attempt for (tenant, user), or throws
 * RESOURCE_EXHAUSTED with the remaining wait. The attempt is counted as a
 * failure up front, in the same atomic upsert that checks the wait, and
 * {@link throttleSuccess} forgets it: so concurrent guesses cannot slip past
 * the limit between a check and a write, and an attempt that dies half-way
 * still counts. A waiting attempt changes nothing (no lockout extension).
 */
export async function admitAttempt(deps: ThrottleDeps, tenant: string, userId: string): Promise<void> {
  const now = deps.clock.now();
  const admitted = await deps.db.query<{ failures: number }>(
    `INSERT INTO throttles AS t (tenant_id, user_id, failures, last_failure_at, blocked_until)
     VALUES ($1::text, $2::text, 1, $3::timestamptz, NULL)
     ON CONFLICT (tenant_id, user_id) DO UPDATE SET
       failures = t.failures + 1,
       last_failure_at = $3::timestamptz,
       blocked_until = CASE WHEN t.failures + 1 >= $4::integer
         THEN $3::timestamptz + make_interval(secs => LEAST(power(2, LEAST(t.failures + 1 - $4::integer, 20)), $5::integer / 1000.0))
         ELSE NULL END
     WHERE t.blocked_until IS NULL OR t.blocked_until <= $3::timestamptz
     RETURNING failures`,
    [tenant, userId, now, FREE_FAILURES, MAX_WAIT_MS],
  );
  if (admitted.rows.length > 0) return;
  const wait = await deps.db.query<{ blocked_until: Date | null }>(
    `SELECT blocked_until FROM throttles WHERE tenant_id = $1::text AND user_id = $2::text`,
    [tenant, userId],
  );
  const until = wait.rows[0]?.blocked_until;
  metrics.throttleRefusal();
  throw throttled(until == null ? 1000 : Math.max(1, until.getTime() - now.getTime()));
}

/** A success forgets the user's failures. */
export async function throttleSuccess(deps: { db: Queryable }, tenant: string, userId: string): Promise<void> {
  await deps.db.query(`DELETE FROM throttles WHERE tenant_id = $1::text AND user_id = $2::text`, [tenant, userId]);
}

/** The user's throttle state, for administrators and tests. */
export async function throttleState(
  deps: { db: Queryable },
  tenant: string,
  userId: string,
): Promise<{ failures: number; blockedUntil: Date | undefined }> {
  const result = await deps.db.query<{ failures: number; blocked_until: Date | null }>(
    `SELECT failures, blocked_until FROM throttles WHERE tenant_id = $1::text AND user_id = $2::text`,
    [tenant, userId],
  );
  const row = result.rows[0];
  return { failures: row?.failures ?? 0, blockedUntil: row?.blocked_until ?? undefined };
}
