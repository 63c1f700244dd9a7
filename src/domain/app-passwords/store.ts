import type { Queryable } from "../../store/db.js";
import type { AppPasswordView } from "./app-password.js";

/**
 * App password SQL, one parameterised statement per function. Every statement
 * names tenant and user first, matching the keys; none selects the hash out.
 */

interface Row {
  id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  last_used_ip: string;
  revoked_at: Date | null;
}

const COLUMNS = "id::text AS id, name, scopes, created_at, expires_at, last_used_at, last_used_ip, revoked_at";

function toView(r: Row): AppPasswordView {
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

/** Neither revoked nor expired at `now`. */
export async function countLive(db: Queryable, tenant: string, userId: string, now: Date): Promise<number> {
  const result = await db.query<{ n: number }>(
    `SELECT count(*)::integer AS n FROM app_passwords
     WHERE tenant_id = $1::text AND user_id = $2::text AND revoked_at IS NULL
       AND (expires_at IS NULL OR expires_at > $3::timestamptz)`,
    [tenant, userId, now],
  );
  return result.rows[0]?.n ?? 0;
}

export interface NewAppPassword {
  id: string;
  name: string;
  scopes: string[];
  hash: Buffer;
  createdAt: Date;
  expiresAt: Date | undefined;
}

export async function insertAppPassword(db: Queryable, tenant: string, userId: string, p: NewAppPassword): Promise<AppPasswordView> {
  const result = await db.query<Row>(
    `INSERT INTO app_passwords (tenant_id, user_id, id, name, scopes, password_hash, created_at, expires_at)
     VALUES ($1::text, $2::text, $3::uuid, $4::text, $5::jsonb, $6::bytea, $7::timestamptz, $8::timestamptz)
     RETURNING ${COLUMNS}`,
    [tenant, userId, p.id, p.name, JSON.stringify(p.scopes), p.hash, p.createdAt, p.expiresAt ?? null],
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error("INSERT ... RETURNING returned no row");
  return toView(row);
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

/** The app password whose hash this is, with the stored hash for a constant-time re-check. One index probe. */
export async function selectByHash(
  db: Queryable,
  tenant: string,
  userId: string,
  hash: Buffer,
): Promise<{ view: AppPasswordView; hash: Buffer } | undefined> {
  const result = await db.query<Row & { password_hash: Buffer }>(
    `SELECT ${COLUMNS}, password_hash FROM app_passwords
     WHERE tenant_id = $1::text AND user_id = $2::text AND password_hash = $3::bytea`,
    [tenant, userId, hash],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : { view: toView(row), hash: row.password_hash };
}

export async function selectById(db: Queryable, tenant: string, userId: string, id: string): Promise<AppPasswordView | undefined> {
  const result = await db.query<Row>(
    `SELECT ${COLUMNS} FROM app_passwords WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid`,
    [tenant, userId, id],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : toView(row);
}

/** Revokes it if it is not revoked yet; undefined when there was nothing to revoke (unknown or already revoked). */
export async function markRevoked(db: Queryable, tenant: string, userId: string, id: string, at: Date): Promise<AppPasswordView | undefined> {
  const result = await db.query<Row>(
    `UPDATE app_passwords SET revoked_at = $4::timestamptz
     WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid AND revoked_at IS NULL
     RETURNING ${COLUMNS}`,
    [tenant, userId, id, at],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : toView(row);
}

/**
 * Records a use, but only while it is still live: a revocation or expiry that
 * lands between the lookup and this statement wins (undefined is returned).
 */
export async function recordUse(
  db: Queryable,
  tenant: string,
  userId: string,
  id: string,
  at: Date,
  ip: string,
): Promise<AppPasswordView | undefined> {
  const result = await db.query<Row>(
    `UPDATE app_passwords SET last_used_at = $4::timestamptz, last_used_ip = $5::text
     WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid
       AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $4::timestamptz)
     RETURNING ${COLUMNS}`,
    [tenant, userId, id, at, ip],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : toView(row);
}
