import type { Queryable } from "../../store/db.js";
import type { Statement } from "../../store/statement.js";
import { kindDisabledSql } from "../policy/index.js";
import type { FactorKind, FactorState, TokenProfile } from "./factor.js";
import { FACTOR_COLUMNS, factorColumns, isUuid, type FactorRow } from "./row.js";

/**
 * The factors table's SQL that every kind shares: insert with the per-user
 * limit, purge of lapsed enrolments, lookups, rename and delete. The OTP and
 * WebAuthn columns' own statements live in otp/store.ts and
 * webauthn/store.ts, beside their factor.
 */

/** SQL boolean: a row still counts unless it is a lapsed enrolment. */
export function liveSql(s: Statement, alias = ""): string {
  const a = alias === "" ? "" : `${alias}.`;
  return `(${a}state = 'active' OR ${a}pending_expires_at > ${s.ref("now")})`;
}

/**
 * A CTE body deleting the user's lapsed enrolments, returning their ids (for
 * `factor.expired` audit rows); only when `when` holds (an enrolment the
 * provider policy refuses changes nothing).
 */
export function purgeLapsedCte(s: Statement, when = "true"): string {
  return `DELETE FROM factors
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND state = 'pending' AND pending_expires_at <= ${s.ref("now")}
      AND ${when}
    RETURNING id::text AS id`;
}

/** A new factor row: OTP columns for TOTP/HOTP, the registration challenge for WebAuthn. */
export interface NewFactor {
  id: string;
  kind: FactorKind;
  label: string;
  state: FactorState;
  /** Pending factors lapse at this time; undefined for a factor inserted active (PSKC --activate). */
  pendingExpiresAt: Date | undefined;
  tokenProfile: TokenProfile;
  algorithm?: string;
  digits?: number;
  periodSeconds?: number | null;
  secretSealed?: Buffer;
  /** HOTP: the starting counter − 1, so the next expected counter is the start. */
  lastStep?: number;
  webauthnChallenge?: string;
}

/**
 * A CTE body inserting `f` for the statement's user unless they already hold
 * `max` live factors; the count and the insert are one statement. No row
 * comes back when the user is at the limit, or when `when` (the provider
 * policy's gate) is false.
 */
export function insertFactorCte(s: Statement, f: NewFactor, max: number, when = "true"): string {
  const [tenant, user, now] = [s.ref("tenant"), s.ref("user"), s.ref("now")];
  const active = f.state === "active";
  return `INSERT INTO factors (tenant_id, user_id, id, kind, label, state, created_at, confirmed_at, pending_expires_at,
                        algorithm, digits, period_seconds, token_profile, secret_sealed, last_step, webauthn_challenge)
    SELECT ${tenant}, ${user}, ${s.param(f.id, "uuid")}, ${s.param(f.kind, "text")}, ${s.param(f.label, "text")},
           ${s.param(f.state, "text")}, ${now}, ${active ? now : "NULL::timestamptz"}, ${s.param(f.pendingExpiresAt ?? null, "timestamptz")},
           ${s.param(f.algorithm ?? null, "text")}, ${s.param(f.digits ?? null, "smallint")}, ${s.param(f.periodSeconds ?? null, "smallint")},
           ${s.param(f.tokenProfile, "text")}, ${s.param(f.secretSealed ?? null, "bytea")}, ${s.param(f.lastStep ?? -1, "bigint")},
           ${s.param(f.webauthnChallenge ?? null, "text")}
    WHERE (SELECT count(*) FROM factors WHERE tenant_id = ${tenant} AND user_id = ${user} AND ${liveSql(s)}) < ${s.param(max, "integer")}
      AND ${when}
    RETURNING ${FACTOR_COLUMNS}`;
}

/**
 * A RETURNING list for a statement that hands a factor back to its caller
 * (rename, confirm, resync): every FactorRow column and `disabled_by_policy`
 * from the tenant's provider policy (docs/design.md "Provider policy").
 */
export function returningFactorSql(s: Statement): string {
  return `${FACTOR_COLUMNS}, ${kindDisabledSql(s.ref("tenant"), "kind")} AS disabled_by_policy`;
}

/**
 * The FactorRow columns with the sealed secret and the public key left out
 * (NULL, which the row type allows): a read that only lists factors never
 * needs them, so it neither carries a sealed secret nor pays for the bytea.
 * The tenant, user and state columns are left out too: activeFactorsSql's
 * WHERE clause fixes them.
 */
const LISTING_COLUMNS = factorColumns("", ["secret_sealed", "public_key"], true);

/** The listing columns with the OTP rows' sealed secrets, and every row's version (`row_version`, its xmin). */
const REMEMBERED_COLUMNS = `${factorColumns("", ["public_key"], true).replace(
  "secret_sealed",
  "CASE WHEN kind IN ('totp', 'hotp') THEN secret_sealed END AS secret_sealed",
)}, xmin::text AS row_version`;

/**
 * SQL selecting the user's active factors for listing (no secret, no public
 * key); Challenge offers them by kind. With `rememberOtp`, the OTP rows carry
 * their sealed secrets and every row its version, for a Challenge whose
 * replica remembers the candidates for Verify (docs/design.md "Database
 * round trips"). The rows leave out the columns the WHERE clause fixes
 * (tenant, user, state), so their decoder is told them: factorRowsFromJson
 * with `known`.
 */
export function activeFactorsSql(s: Statement, userSql: string, opts: { rememberOtp?: boolean } = {}): string {
  return `SELECT ${opts.rememberOtp === true ? REMEMBERED_COLUMNS : LISTING_COLUMNS} FROM factors
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${userSql} AND state = 'active'`;
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

/**
 * The user's live factors (active, and pending ones not yet lapsed), oldest
 * first, each with `disabled_by_policy` from the tenant's provider policy.
 */
export async function listLiveFactors(q: Queryable, tenant: string, userId: string, now: Date): Promise<FactorRow[]> {
  const result = await q.query<FactorRow>(
    `SELECT ${FACTOR_COLUMNS}, ${kindDisabledSql("$1::text", "kind")} AS disabled_by_policy FROM factors
     WHERE tenant_id = $1::text AND user_id = $2::text AND (state = 'active' OR pending_expires_at > $3::timestamptz)
     ORDER BY created_at, id`,
    [tenant, userId, now],
  );
  return result.rows;
}

/** A CTE body renaming a live factor of the statement's user (no row when there is none by that id). */
export function renameFactorCte(s: Statement, id: string, label: string): string {
  return `UPDATE factors SET label = ${s.param(label, "text")}
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND id = ${s.param(id, "uuid")} AND ${liveSql(s)}
    RETURNING ${returningFactorSql(s)}`;
}

/** A CTE body deleting a live factor of the statement's user, its sealed secret with it (no row when there is none). */
export function deleteFactorCte(s: Statement, id: string): string {
  return `DELETE FROM factors
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND id = ${s.param(id, "uuid")} AND ${liveSql(s)}
    RETURNING id::text AS id, kind, state`;
}

/** A CTE body deleting the statement's user's factors of these kinds, pending ones too (an administrator's reset). */
export function deleteFactorsOfKindsCte(s: Statement, kinds: readonly FactorKind[]): string {
  return `DELETE FROM factors
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND kind = ANY (${s.param(kinds, "text[]")})
    RETURNING id::text AS id, kind`;
}

/** A factor's sealed secret and its key, for re-sealing under the newest key. */
export interface SealedSecretRow {
  tenant_id: string;
  user_id: string;
  id: string;
  secret_sealed: Buffer;
}

/** Up to `limit` factors with a sealed secret after `after` in key order: one keyset page of a rotation. */
export async function sealedSecretsAfter(q: Queryable, after: readonly [string, string, string], limit: number): Promise<SealedSecretRow[]> {
  const r = await q.query<SealedSecretRow>(
    `SELECT tenant_id, user_id, id::text AS id, secret_sealed FROM factors
     WHERE secret_sealed IS NOT NULL AND (tenant_id, user_id, id) > ($1::text, $2::text, $3::uuid)
     ORDER BY tenant_id, user_id, id
     LIMIT $4::integer`,
    [...after, limit],
  );
  return r.rows;
}

/** Replaces a sealed secret only while the row still holds the one that was read (a concurrent change wins). */
export async function replaceSealedSecret(q: Queryable, row: SealedSecretRow, sealed: Buffer, resealed: Buffer): Promise<boolean> {
  const r = await q.query(
    `UPDATE factors SET secret_sealed = $5::bytea
     WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid AND secret_sealed = $4::bytea`,
    [row.tenant_id, row.user_id, row.id, sealed, resealed],
  );
  return r.rowCount === 1;
}
