import { andWhen, type Statement } from "../../store/statement.js";
import { FACTOR_COLUMNS, returningFactorSql, type FactorRow } from "../factors/index.js";

/**
 * The OTP columns' SQL on the factors table (last_step, drift_steps, the
 * resync memory), as parts the OTP flows compose into one statement each.
 * Every conditional UPDATE here is a replay guard: it succeeds only while
 * `last_step` is below the step it burns, so a step is accepted at most once
 * per factor even when replicas race.
 */

/**
 * SQL selecting the OTP factors a proof is checked against: the named factor
 * (any state, so a pending one can be told apart), else the user's active
 * TOTP and HOTP factors, oldest first. `userSql` is the attempt's user.
 */
export function otpCandidatesSql(s: Statement, userSql: string, factorId: string | undefined): string {
  const byId = factorId === undefined ? "state = 'active'" : `id = ${s.param(factorId, "uuid")}`;
  return `SELECT ${FACTOR_COLUMNS} FROM factors
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${userSql} AND kind IN ('totp', 'hotp') AND ${byId}
    ORDER BY created_at, id`;
}

/**
 * Scalar SQL: what a Verify judges an OTP code on, read afresh, as JSON
 * `{ providers, candidates }` (the tenant's provider policy row, and
 * otpCandidatesSql's rows for factorRowsFromJson). It calls the migration's
 * twofold_otp_verify_basis, so a statement that needs it only on a rare
 * outcome does not prepare the reads each time it runs.
 */
export function otpVerifyBasisSql(s: Statement, userSql: string, factorId: string | undefined): string {
  return `twofold_otp_verify_basis(${s.ref("tenant")}, ${userSql}, ${s.param(factorId ?? null, "uuid")})`;
}

/**
 * Scalar SQL: the versions of the user's active OTP factors as the
 * statement's snapshot sees them, in otpRowVersions's form. Equal to what a
 * Challenge remembered only while no candidate was added, removed or
 * changed (a burnt step, a remembered resync, a rotated secret) since.
 */
export function otpRowVersionsSql(s: Statement, userSql: string): string {
  return `(SELECT COALESCE(string_agg(id::text || ':' || xmin::text, ',' ORDER BY id), '') FROM factors
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${userSql} AND kind IN ('totp', 'hotp') AND state = 'active')`;
}

/**
 * The versions of remembered OTP rows (each read with its `row_version`):
 * `id:xmin`, by id, comma-separated. A uuid's text sorts as the uuid does.
 */
export function otpRowVersions(rows: readonly Pick<FactorRow, "id" | "row_version">[]): string {
  return rows
    .map((r) => `${r.id}:${r.row_version ?? ""}`)
    .sort()
    .join(",");
}

/** SQL selecting one of the statement's user's OTP factors by id, any state. */
export function otpFactorSql(s: Statement, factorId: string): string {
  return `SELECT ${returningFactorSql(s)} FROM factors
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND id = ${s.param(factorId, "uuid")} AND kind IN ('totp', 'hotp')`;
}

/** One accepted step or counter and the drift it teaches. */
export interface AcceptedStep {
  factorId: string;
  step: number;
  driftSteps: number;
  /** Set when the acceptance completes an automatic resync: the remembered step must still be there. */
  resyncedFrom: number | undefined;
}

function acceptSql(s: Statement, userSql: string, a: AcceptedStep, change: string, state: string, returning = FACTOR_COLUMNS, when?: string): string {
  const step = s.param(a.step, "bigint");
  const resyncedFrom = s.param(a.resyncedFrom ?? null, "bigint");
  return `UPDATE factors SET last_step = ${step}, drift_steps = ${s.param(a.driftSteps, "integer")},
      resync_step = NULL, resync_offset = NULL, ${change}
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${userSql} AND id = ${s.param(a.factorId, "uuid")}
      AND last_step < ${step} AND ${state}
      AND (${resyncedFrom} IS NULL OR resync_step = ${resyncedFrom})${andWhen(when)}
    RETURNING ${returning}`;
}

/** A CTE body burning a login's accepted step on an active factor (a row only if this call won it), while `when` holds. */
export function burnStepCte(s: Statement, userSql: string, a: AcceptedStep, when?: string): string {
  // The login's write only asks whether a row came back.
  return acceptSql(s, userSql, a, `last_used_at = ${s.ref("now")}`, "state = 'active'", "id", when);
}

/**
 * A CTE body activating a pending enrolment with its proving step: the step
 * is burnt in the same conditional UPDATE that makes the factor ACTIVE, and
 * only while the enrolment has not lapsed.
 */
export function activateCte(s: Statement, userSql: string, a: AcceptedStep): string {
  const now = s.ref("now");
  return acceptSql(
    s,
    userSql,
    a,
    `state = 'active', confirmed_at = ${now}, pending_expires_at = NULL`,
    `state = 'pending' AND pending_expires_at > ${now}`,
    returningFactorSql(s),
  );
}

/** An out-of-window code remembered for automatic resync. */
export interface ResyncCandidate {
  factorId: string;
  step: number;
  offset: number;
}

/**
 * A CTE body remembering out-of-window codes for automatic resync
 * (docs/design.md "TOTP and HOTP"), one per factor; only a step newer than
 * the factor's last accepted one is worth remembering. Arrays keep the
 * statement one shape however many factors refused the code. Only while
 * `when` holds, when given.
 */
export function rememberResyncCte(s: Statement, userSql: string, candidates: readonly ResyncCandidate[], when?: string): string {
  const ids = s.param(candidates.map((c) => c.factorId), "uuid[]");
  const steps = s.param(candidates.map((c) => c.step), "bigint[]");
  const offsets = s.param(candidates.map((c) => c.offset), "integer[]");
  return `UPDATE factors f SET resync_step = c.step, resync_offset = c.off
    FROM unnest(${ids}, ${steps}, ${offsets}) AS c(id, step, off)
    WHERE f.tenant_id = ${s.ref("tenant")} AND f.user_id = ${userSql} AND f.id = c.id AND f.last_step < c.step${andWhen(when)}
    RETURNING f.id`;
}

/**
 * A CTE body re-aligning an active factor on two consecutive codes
 * (ResyncFactor): `last_step` becomes the second code's step, so neither can
 * be accepted again, and only while it is below the first's, so two replicas
 * resyncing on the same pair yield one success.
 */
export function burnPairCte(s: Statement, factorId: string, first: number, driftSteps: number): string {
  return `UPDATE factors SET last_step = ${s.param(first + 1, "bigint")}, drift_steps = ${s.param(driftSteps, "integer")},
      resync_step = NULL, resync_offset = NULL
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND id = ${s.param(factorId, "uuid")}
      AND state = 'active' AND kind IN ('totp', 'hotp') AND last_step < ${s.param(first, "bigint")}
    RETURNING ${returningFactorSql(s)}`;
}
