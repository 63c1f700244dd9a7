import type { Queryable } from "../../store/db.js";
import type { FactorKind } from "./factor.js";
import { FACTOR_COLUMNS, type FactorRow } from "./factor-row.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can name a row at all (the column is uuid; anything else names nothing). */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** A row still counts unless it is a lapsed enrolment. */
const LIVE = "(state = 'active' OR pending_expires_at > $NOW::timestamptz)";
function live(nowParam: number): string {
  return LIVE.replace("$NOW", `$${nowParam}`);
}

/** A pending OTP factor to insert; the secret arrives already sealed. */
export interface NewOtpFactor {
  tenant: string;
  userId: string;
  id: string;
  kind: "totp" | "hotp";
  label: string;
  createdAt: Date;
  pendingExpiresAt: Date;
  algorithm: string;
  digits: number;
  periodSeconds: number | null;
  tokenProfile: string;
  secretSealed: Buffer;
}

/**
 * Inserts a pending OTP factor unless the user already holds `max` live
 * factors; the count and the insert are one statement. Returns the row, or
 * undefined when the user is at the limit.
 */
export async function insertPendingOtpFactor(q: Queryable, f: NewOtpFactor, max: number): Promise<FactorRow | undefined> {
  const result = await q.query<FactorRow>(
    `INSERT INTO factors (tenant_id, user_id, id, kind, label, state, created_at, pending_expires_at,
                          algorithm, digits, period_seconds, token_profile, secret_sealed)
     SELECT $1::text, $2::text, $3::uuid, $4::text, $5::text, 'pending', $6::timestamptz, $7::timestamptz,
            $8::text, $9::smallint, $10::smallint, $11::text, $12::bytea
     WHERE (SELECT count(*) FROM factors
            WHERE tenant_id = $1::text AND user_id = $2::text AND ${live(6)}) < $13::integer
     RETURNING ${FACTOR_COLUMNS}`,
    [f.tenant, f.userId, f.id, f.kind, f.label, f.createdAt, f.pendingExpiresAt, f.algorithm, f.digits, f.periodSeconds,
      f.tokenProfile, f.secretSealed, max],
  );
  return result.rows[0];
}

/** One of the user's factors, lapsed enrolments included (callers tell them apart). */
export async function findFactor(q: Queryable, tenant: string, userId: string, id: string): Promise<FactorRow | undefined> {
  if (!isUuid(id)) return undefined;
  const result = await q.query<FactorRow>(
    `SELECT ${FACTOR_COLUMNS} FROM factors WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid`,
    [tenant, userId, id],
  );
  return result.rows[0];
}

/** The user's live factors (active, and pending ones not yet lapsed), oldest first. */
export async function listLiveFactors(q: Queryable, tenant: string, userId: string, now: Date): Promise<FactorRow[]> {
  const result = await q.query<FactorRow>(
    `SELECT ${FACTOR_COLUMNS} FROM factors
     WHERE tenant_id = $1::text AND user_id = $2::text AND ${live(3)}
     ORDER BY created_at, id`,
    [tenant, userId, now],
  );
  return result.rows;
}

/** The user's active factors of one kind, oldest first. */
export async function listActiveFactors(q: Queryable, tenant: string, userId: string, kind: FactorKind): Promise<FactorRow[]> {
  const result = await q.query<FactorRow>(
    `SELECT ${FACTOR_COLUMNS} FROM factors
     WHERE tenant_id = $1::text AND user_id = $2::text AND kind = $3::text AND state = 'active'
     ORDER BY created_at, id`,
    [tenant, userId, kind],
  );
  return result.rows;
}

/** Renames a live factor; undefined when there is none by that id. */
export async function updateFactorLabel(
  q: Queryable,
  tenant: string,
  userId: string,
  id: string,
  label: string,
  now: Date,
): Promise<FactorRow | undefined> {
  if (!isUuid(id)) return undefined;
  const result = await q.query<FactorRow>(
    `UPDATE factors SET label = $4::text
     WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid AND ${live(5)}
     RETURNING ${FACTOR_COLUMNS}`,
    [tenant, userId, id, label, now],
  );
  return result.rows[0];
}

/** Deletes a live factor; undefined when there is none by that id. */
export async function deleteFactor(q: Queryable, tenant: string, userId: string, id: string, now: Date): Promise<FactorRow | undefined> {
  if (!isUuid(id)) return undefined;
  const result = await q.query<FactorRow>(
    `DELETE FROM factors
     WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid AND ${live(4)}
     RETURNING ${FACTOR_COLUMNS}`,
    [tenant, userId, id, now],
  );
  return result.rows[0];
}

/** Deletes the user's lapsed enrolments; returns their ids for the audit trail. */
export async function purgeLapsedEnrolments(q: Queryable, tenant: string, userId: string, now: Date): Promise<string[]> {
  const result = await q.query<{ id: string }>(
    `DELETE FROM factors
     WHERE tenant_id = $1::text AND user_id = $2::text AND state = 'pending' AND pending_expires_at <= $3::timestamptz
     RETURNING id::text AS id`,
    [tenant, userId, now],
  );
  return result.rows.map((r) => r.id);
}

/** One accepted OTP step and the drift it teaches. */
export interface AcceptStep {
  tenant: string;
  userId: string;
  id: string;
  step: number;
  driftSteps: number;
  now: Date;
  /** `pending`: confirming an enrolment (it becomes active). `active`: a login. */
  from: "pending" | "active";
  /** Set when the acceptance completes an automatic resync: the remembered step must still be there. */
  resyncStep: number | undefined;
}

/**
 * Accepts one OTP step: THE replay guard. One conditional UPDATE that only
 * succeeds while `last_step < step`, so a step is accepted at most once per
 * factor even when replicas race (DESIGN "Replay"). Undefined means someone
 * else got there first (replayed) or the factor changed state meanwhile.
 */
export async function acceptOtpStep(q: Queryable, a: AcceptStep): Promise<FactorRow | undefined> {
  const confirming = a.from === "pending";
  const result = await q.query<FactorRow>(
    `UPDATE factors SET
       last_step = $4::bigint,
       drift_steps = $5::integer,
       resync_step = NULL,
       resync_offset = NULL,
       ${confirming ? "state = 'active', confirmed_at = $6::timestamptz, pending_expires_at = NULL" : "last_used_at = $6::timestamptz"}
     WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid
       AND last_step < $4::bigint
       AND ${confirming ? "state = 'pending' AND pending_expires_at > $6::timestamptz" : "state = 'active'"}
       AND ($7::bigint IS NULL OR resync_step = $7::bigint)
     RETURNING ${FACTOR_COLUMNS}`,
    [a.tenant, a.userId, a.id, a.step, a.driftSteps, a.now, a.resyncStep ?? null],
  );
  return result.rows[0];
}

/**
 * Remembers an out-of-window code's step and offset for automatic resync
 * (DESIGN "TOTP window"). Only a step newer than the last accepted one is
 * worth remembering.
 */
export async function rememberResync(
  q: Queryable,
  tenant: string,
  userId: string,
  id: string,
  step: number,
  offset: number,
): Promise<void> {
  await q.query(
    `UPDATE factors SET resync_step = $4::bigint, resync_offset = $5::integer
     WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid AND last_step < $4::bigint`,
    [tenant, userId, id, step, offset],
  );
}
