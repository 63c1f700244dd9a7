import type { Queryable } from "../../store/db.js";
import type { Statement } from "../../store/statement.js";
import type { AppPasswordView } from "./app-password.js";

/**
 * App password SQL, one parameterised statement per function. Every statement
 * names tenant and user first, matching the keys; none selects the hash out.
 */

export interface Row {
  id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  last_used_ip: string;
  revoked_at: Date | null;
}

export const COLUMNS = "id::text AS id, name, scopes, created_at, expires_at, last_used_at, last_used_ip, revoked_at";

export function toView(r: Row): AppPasswordView {
  return {
    id: r.id,
    name: r.name,
    scopes: r.scopes,
    createdAt: r.created_at,
    expiresAt: r.expires_at ?? undefined,
    lastUsedAt: r.last_used_at ?? undefined,
    lastUsedIp: r.last_used_ip,
    revokedAt: r.revoked_at ?? undefined,
  };
}

/**
 * Serialises app password creation for one user until the transaction ends,
 * so the live-count check and the insert cannot interleave with another
 * creation and overshoot the limit. The lock key is derived from tenant and
 * user; nothing else takes locks in this key space (the migration lock is a
 * small constant).
 */
export async function lockUserForCreate(tx: Queryable, tenant: string, userId: string): Promise<void> {
  // JSON keeps ("a", "bc") and ("ab", "c") apart.
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))`, [JSON.stringify(["app-passwords", tenant, userId])]);
}


export interface NewAppPassword {
  id: string;
  name: string;
  scopes: string[];
  hash: Buffer;
  expiresAt: Date | undefined;
}


/** All of the user's app passwords, oldest first, revoked and expired ones included. */
export async function selectAppPasswords(db: Queryable, tenant: string, userId: string): Promise<AppPasswordView[]> {
  const result = await db.query<Row>(
    `SELECT ${COLUMNS} FROM app_passwords
     WHERE tenant_id = $1::text AND user_id = $2::text
     ORDER BY created_at, id`,
    [tenant, userId],
  );
  return result.rows.map(toView);
}

/**
 * Up to `limit` app passwords after `after` in (created_at, id) order: a
 * keyset page, so each page is one index range scan however deep it is.
 */
export async function selectAppPasswordPage(
  db: Queryable,
  tenant: string,
  userId: string,
  after: { createdAt: Date; id: string } | undefined,
  limit: number,
): Promise<AppPasswordView[]> {
  const result = await db.query<Row>(
    `SELECT ${COLUMNS} FROM app_passwords
     WHERE tenant_id = $1::text AND user_id = $2::text
       AND ($3::timestamptz IS NULL OR (created_at, id) > ($3::timestamptz, $4::uuid))
     ORDER BY created_at, id
     LIMIT $5::integer`,
    [tenant, userId, after?.createdAt ?? null, after?.id ?? null, limit],
  );
  return result.rows.map(toView);
}





/** A CTE body inserting an app password unless the user holds `max` live ones (call under lockUserForCreate). */
export function insertAppPasswordCte(
  s: Statement,
  p: NewAppPassword,
  max: number,
  opts: { when?: string; defaultLifetimeMsSql?: string } = {},
): string {
  const [tenant, user, now] = [s.ref("tenant"), s.ref("user"), s.ref("now")];
  // Without an expiry of its own, the password gets the default lifetime, if there is one.
  const expires =
    opts.defaultLifetimeMsSql === undefined
      ? s.param(p.expiresAt ?? null, "timestamptz")
      : `COALESCE(${s.param(p.expiresAt ?? null, "timestamptz")}, ${now} + ${opts.defaultLifetimeMsSql} * interval '1 millisecond')`;
  return `INSERT INTO app_passwords (tenant_id, user_id, id, name, scopes, password_hash, created_at, expires_at)
    SELECT ${tenant}, ${user}, ${s.param(p.id, "uuid")}, ${s.param(p.name, "text")}, ${s.param(JSON.stringify(p.scopes), "jsonb")},
           ${s.param(p.hash, "bytea")}, ${now}, ${expires}
    WHERE (SELECT count(*) FROM app_passwords
           WHERE tenant_id = ${tenant} AND user_id = ${user} AND revoked_at IS NULL
             AND (expires_at IS NULL OR expires_at > ${now})) < ${s.param(max, "integer")}
      AND ${opts.when ?? "true"}
    RETURNING ${COLUMNS}`;
}

/** A CTE body revoking one of the statement's user's app passwords if not revoked yet (no row when nothing changed). */
export function revokeCte(s: Statement, id: string): string {
  return `UPDATE app_passwords SET revoked_at = ${s.ref("now")}
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND id = ${s.param(id, "uuid")} AND revoked_at IS NULL
    RETURNING ${COLUMNS}`;
}

/** SQL selecting one of the statement's user's app passwords by id (the statement's snapshot). */
export function appPasswordByIdSql(s: Statement, id: string): string {
  return `SELECT ${COLUMNS} FROM app_passwords WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND id = ${s.param(id, "uuid")}`;
}

/** A CTE body revoking every app password of the statement's user not yet revoked (an administrator's reset). */
export function revokeAllAppPasswordsCte(s: Statement): string {
  return `UPDATE app_passwords SET revoked_at = ${s.ref("now")}
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND revoked_at IS NULL
    RETURNING id::text AS id`;
}

/** SQL selecting the statement's user's app password with this hash (one index probe), with its stored hash. */
export function appPasswordByHashSql(s: Statement, hash: Buffer): string {
  return `SELECT ${COLUMNS}, password_hash FROM app_passwords
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND password_hash = ${s.param(hash, "bytea")}`;
}

/**
 * A CTE body recording a use of the app password `pw` (a CTE of
 * appPasswordByHashSql) when `when` holds, and only while it is still live:
 * a revocation or expiry that lands meanwhile wins.
 */
export function recordUseCte(s: Statement, when: string): string {
  const now = s.ref("now");
  return `UPDATE app_passwords SET last_used_at = ${now}, last_used_ip = ${s.ref("client_ip")}
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND id = (SELECT id::uuid FROM pw) AND ${when}
      AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${now})
    RETURNING ${COLUMNS}`;
}
