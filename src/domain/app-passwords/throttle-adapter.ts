import type { Queryable } from "../../store/db.js";
import type { Clock } from "../clock.js";
import { throttled } from "../errors.js";

/**
 * TEMPORARY stand-in for the shared throttle module (src/domain/throttle),
 * with the rule of DESIGN.md "Login flow": per tenant and user, across
 * providers; after 5 consecutive failures each attempt waits
 * min(2^(n-5) s, 15 min); success resets. Replace with the shared module.
 */
const FREE_FAILURES = 5;
const MAX_WAIT_MS = 15 * 60 * 1000;

interface ThrottleDeps {
  db: Queryable;
  clock: Clock;
}

/** Throws RESOURCE_EXHAUSTED (with the wait) when the user must wait before another attempt. */
export async function assertNotThrottled(deps: ThrottleDeps, tenant: string, userId: string): Promise<void> {
  const now = deps.clock.now();
  const result = await deps.db.query<{ blocked_until: Date | null }>(
    `SELECT blocked_until FROM throttles WHERE tenant_id = $1::text AND user_id = $2::text`,
    [tenant, userId],
  );
  const until = result.rows[0]?.blocked_until;
  if (until != null && until.getTime() > now.getTime()) throw throttled(until.getTime() - now.getTime());
}

/** Counts a failed attempt and sets the wait the next attempt must observe. */
export async function noteFailure(deps: ThrottleDeps, tenant: string, userId: string): Promise<void> {
  const now = deps.clock.now();
  await deps.db.query(
    `INSERT INTO throttles (tenant_id, user_id, failures, last_failure_at, blocked_until)
     VALUES ($1::text, $2::text, 1, $3::timestamptz, NULL)
     ON CONFLICT (tenant_id, user_id) DO UPDATE SET
       failures = throttles.failures + 1,
       last_failure_at = $3::timestamptz,
       blocked_until = CASE WHEN throttles.failures + 1 >= $4::integer
         THEN $3::timestamptz + make_interval(secs => LEAST(power(2, LEAST(throttles.failures + 1 - $4::integer, 20)), $5::integer / 1000.0))
         ELSE NULL END`,
    [tenant, userId, now, FREE_FAILURES, MAX_WAIT_MS],
  );
}

/** A success forgets the failures. */
export async function noteSuccess(deps: ThrottleDeps, tenant: string, userId: string): Promise<void> {
  await deps.db.query(`DELETE FROM throttles WHERE tenant_id = $1::text AND user_id = $2::text`, [tenant, userId]);
}
