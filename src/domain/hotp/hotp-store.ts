import type { Queryable } from "../../store/db.js";
import { FACTOR_COLUMNS, type FactorRow } from "../factors/factor-row.js";
import type { NewOtpFactor } from "../factors/factor-store.js";

/** A new OTP factor with its replay position: the counter (HOTP) or step before the first usable one. */
export interface NewOtpFactorAt extends NewOtpFactor {
  /** 'pending' (Enrol, PSKC import) or 'active' (PSKC import with --activate). */
  state: "pending" | "active";
  /** last_step: for HOTP the starting counter − 1, so the next expected counter is the start. */
  lastStep: number;
}

/**
 * Inserts an OTP factor at a given replay position unless the user already
 * holds `max` live factors; the count and the insert are one statement.
 * Undefined when the user is at the limit.
 */
export async function insertOtpFactorAt(q: Queryable, f: NewOtpFactorAt, max: number): Promise<FactorRow | undefined> {
  const result = await q.query<FactorRow>(
    `INSERT INTO factors (tenant_id, user_id, id, kind, label, state, created_at, confirmed_at, pending_expires_at,
                          algorithm, digits, period_seconds, token_profile, secret_sealed, last_step)
     SELECT $1::text, $2::text, $3::uuid, $4::text, $5::text, $14::text, $6::timestamptz,
            CASE WHEN $14::text = 'active' THEN $6::timestamptz END,
            CASE WHEN $14::text = 'pending' THEN $7::timestamptz END,
            $8::text, $9::smallint, $10::smallint, $11::text, $12::bytea, $15::bigint
     WHERE (SELECT count(*) FROM factors
            WHERE tenant_id = $1::text AND user_id = $2::text
              AND (state = 'active' OR pending_expires_at > $6::timestamptz)) < $13::integer
     RETURNING ${FACTOR_COLUMNS}`,
    [f.tenant, f.userId, f.id, f.kind, f.label, f.createdAt, f.pendingExpiresAt, f.algorithm, f.digits, f.periodSeconds,
      f.tokenProfile, f.secretSealed, max, f.state, f.lastStep],
  );
  return result.rows[0];
}
