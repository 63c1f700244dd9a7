import type { Queryable } from "../../store/db.js";
import { Statement } from "../../store/statement.js";
import type { AuditRowPart } from "../audit/index.js";
import { FREE_FAILURES, MAX_WAIT_MS } from "./rules.js";

/**
 * The throttles table's SQL. The parts a composed statement uses (admit,
 * the wait, reset) and the few statements that stand alone.
 */

/**
 * A CTE body admitting one attempt for each user `usersSql` yields (a query
 * with a `user_id` column, so the admission can depend on earlier parts of the
 * statement: a claimed transaction, a credential that names its owner). The
 * attempt is counted as a failure up front, in the same atomic upsert that
 * checks the wait, and a success forgets it (resetCte): so concurrent guesses
 * cannot slip past the limit between a check and a write, and an attempt that
 * dies half-way still counts. A user still waiting is not admitted and
 * nothing changes for them (no lockout extension). Returns the admitted users.
 */
export function admitCte(s: Statement, usersSql: string): string {
  const tenant = s.ref("tenant");
  const now = s.ref("now");
  const free = s.param(FREE_FAILURES, "integer");
  const maxWait = s.param(MAX_WAIT_MS, "integer");
  return `INSERT INTO throttles AS t (tenant_id, user_id, failures, last_failure_at, blocked_until)
    SELECT ${tenant}, u.user_id, 1, ${now}, NULL FROM (${usersSql}) u
    ON CONFLICT (tenant_id, user_id) DO UPDATE SET
      failures = t.failures + 1,
      last_failure_at = ${now},
      blocked_until = CASE WHEN t.failures + 1 >= ${free}
        THEN ${now} + make_interval(secs => LEAST(power(2, LEAST(t.failures + 1 - ${free}, 20)), ${maxWait} / 1000.0))
        ELSE NULL END
    WHERE t.blocked_until IS NULL OR t.blocked_until <= ${now}
    RETURNING user_id`;
}

/**
 * admitCte for a proof the statement itself judges (`successSql`, SQL that
 * may read earlier parts): one upsert admits the attempt and records its
 * outcome, a failure counted as admitCte counts it, a success forgetting the
 * failures as resetCte does, so a verification that needs no other write is
 * one statement. A waiting user is not admitted and nothing changes for them.
 * With `when` (SQL boolean), the attempt is only made while it holds.
 */
export function admitJudgedCte(s: Statement, userSql: string, successSql: string, when?: string): string {
  const tenant = s.ref("tenant");
  const now = s.ref("now");
  const free = s.param(FREE_FAILURES, "integer");
  const maxWait = s.param(MAX_WAIT_MS, "integer");
  const row = `${tenant}, ${userSql}, CASE WHEN ${successSql} THEN 0 ELSE 1 END, CASE WHEN ${successSql} THEN NULL ELSE ${now} END, NULL`;
  return `INSERT INTO throttles AS t (tenant_id, user_id, failures, last_failure_at, blocked_until)
    ${when === undefined ? `VALUES (${row})` : `SELECT ${row} WHERE ${when}`}
    ON CONFLICT (tenant_id, user_id) DO UPDATE SET
      failures = CASE WHEN ${successSql} THEN 0 ELSE t.failures + 1 END,
      last_failure_at = CASE WHEN ${successSql} THEN NULL ELSE ${now} END,
      blocked_until = CASE WHEN NOT ${successSql} AND t.failures + 1 >= ${free}
        THEN ${now} + make_interval(secs => LEAST(power(2, LEAST(t.failures + 1 - ${free}, 20)), ${maxWait} / 1000.0))
        ELSE NULL END
    WHERE t.blocked_until IS NULL OR t.blocked_until <= ${now}
    RETURNING user_id`;
}

/**
 * The user's wait as the statement's snapshot sees it: a query with a
 * `blocked_until` column, as a CTE body for a statement that reads it twice
 * (the refusal's audit row and its answer; read it as
 * `(SELECT blocked_until FROM <name>)`), or wrapped by blockedUntilSql.
 */
export function waitCte(s: Statement, userSql: string): string {
  return `SELECT blocked_until FROM throttles WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${userSql}`;
}

/** Scalar SQL: when the user's current wait ends, as the statement's snapshot sees it (for RetryInfo). */
export function blockedUntilSql(s: Statement, userSql: string): string {
  return `(${waitCte(s, userSql)})`;
}

/**
 * The `throttle.blocked` audit row of an attempt the throttle turned away,
 * with the remaining wait (`blockedUntil`, SQL; by default read here),
 * written when `when` holds: a refusal is a verification outcome and leaves
 * a trail.
 */
export function blockedAuditRow(s: Statement, userSql: string, when: string, blockedUntil = blockedUntilSql(s, userSql)): AuditRowPart {
  const wait = `extract(epoch FROM ${blockedUntil} - ${s.ref("now")}) * 1000`;
  return {
    kind: "throttle.blocked",
    userSql,
    detailsSql: `jsonb_build_object('retry_after_ms', COALESCE(GREATEST(1, (${wait})::bigint), 1000))`,
    when,
  };
}

/**
 * A CTE body forgetting the user's failures when `when` holds (a success).
 * The row stays, at zero: admitCte counts every attempt up front, so a
 * deleted row would be inserted again by the user's next login; an update
 * of columns no index holds is done in place (a HOT update), with no index
 * entry to add and no dead row for vacuum. A row at zero reads as no row
 * (throttleState).
 */
export function resetCte(s: Statement, userSql: string, when: string): string {
  const tenant = s.ref("tenant");
  return `UPDATE throttles SET failures = 0, last_failure_at = NULL, blocked_until = NULL
    WHERE tenant_id = ${tenant} AND user_id = ${userSql} AND ${when} RETURNING user_id`;
}

/** A CTE body removing the user's throttle row (an administrator's clear), returning the failures it held. */
export function clearCte(s: Statement, userSql: string): string {
  const tenant = s.ref("tenant");
  return `DELETE FROM throttles WHERE tenant_id = ${tenant} AND user_id = ${userSql} RETURNING user_id, failures`;
}

/**
 * Admits one attempt on its own statement: whether it was admitted, and
 * when the wait ends if not.
 */
export async function admitOne(
  q: Queryable,
  tenant: string,
  userId: string,
  now: Date,
): Promise<{ admitted: boolean; blockedUntil: Date | null }> {
  const s = new Statement();
  s.define("tenant", tenant, "text");
  s.define("now", now, "timestamptz");
  const user = s.param(userId, "text");
  s.with("admit", admitCte(s, `SELECT ${user} AS user_id`));
  const r = await s.run<{ admitted: boolean; blocked_until: Date | null }>(
    q,
    `SELECT EXISTS (SELECT 1 FROM admit) AS admitted, ${blockedUntilSql(s, user)} AS blocked_until`,
  );
  const row = r.rows[0];
  return { admitted: row?.admitted ?? false, blockedUntil: row?.blocked_until ?? null };
}

/** The user's throttle row (at zero after a success), or undefined when they never had one. */
export async function selectThrottle(
  q: Queryable,
  tenant: string,
  userId: string,
): Promise<{ failures: number; lastFailureAt: Date | null; blockedUntil: Date | null } | undefined> {
  const r = await q.query<{ failures: number; last_failure_at: Date | null; blocked_until: Date | null }>(
    `SELECT failures, last_failure_at, blocked_until FROM throttles WHERE tenant_id = $1::text AND user_id = $2::text`,
    [tenant, userId],
  );
  const row = r.rows[0];
  return row === undefined ? undefined : { failures: row.failures, lastFailureAt: row.last_failure_at, blockedUntil: row.blocked_until };
}
