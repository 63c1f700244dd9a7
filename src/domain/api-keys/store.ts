import type { Queryable } from "../../store/db.js";
import type { Statement } from "../../store/statement.js";
import type { Role } from "../caller.js";
import type { ApiKeyRow } from "./api-key.js";

/** The api_keys table's SQL. */

/** The NOTIFY channel a revocation is announced on, so every replica drops the key from its cache. */
export const API_KEY_CHANNEL = "twofold_api_keys";

/** The key with this keyed hash, unless revoked: one probe of the unique index. */
export async function selectLiveKeyByHash(
  q: Queryable,
  hash: Buffer,
): Promise<{ tenant_id: string; id: string; role: Role; key_hash: Buffer } | undefined> {
  const r = await q.query<{ tenant_id: string; id: string; role: Role; key_hash: Buffer }>(
    "SELECT tenant_id, id, role, key_hash FROM api_keys WHERE key_hash = $1::bytea AND revoked_at IS NULL",
    [hash],
    { name: "tf_api_key_by_hash" },
  );
  return r.rows[0];
}

/** A CTE body inserting a key for the statement's tenant. */
export function insertKeyCte(s: Statement, k: { id: string; role: Role; name: string; hash: Buffer }): string {
  return `INSERT INTO api_keys (tenant_id, id, role, name, key_hash, created_at)
    VALUES (${s.ref("tenant")}, ${s.param(k.id, "text")}, ${s.param(k.role, "text")}, ${s.param(k.name, "text")},
            ${s.param(k.hash, "bytea")}, ${s.ref("now")})
    RETURNING id`;
}

/**
 * A CTE body revoking a key of the statement's tenant (no row when it was
 * revoked already), and the select-list entry announcing the revocation on
 * API_KEY_CHANNEL: NOTIFY is delivered when the statement commits, so no
 * replica hears of a revocation that did not happen.
 */
export function revokeKeyCte(s: Statement, id: string): { cte: string; notify: string } {
  return {
    cte: `UPDATE api_keys SET revoked_at = ${s.ref("now")}
      WHERE tenant_id = ${s.ref("tenant")} AND id = ${s.param(id, "text")} AND revoked_at IS NULL
      RETURNING id, role`,
    notify: `(SELECT pg_notify('${API_KEY_CHANNEL}', r.id) FROM revoked r)`,
  };
}

/** Scalar SQL: whether the statement's tenant has a key with this id, revoked or not. */
export function keyExistsSql(s: Statement, id: string): string {
  return `EXISTS (SELECT 1 FROM api_keys WHERE tenant_id = ${s.ref("tenant")} AND id = ${s.param(id, "text")})`;
}

/** A tenant's keys, oldest first, revoked ones included. */
export async function selectKeys(q: Queryable, tenant: string): Promise<ApiKeyRow[]> {
  const r = await q.query<ApiKeyRow>(
    `SELECT tenant_id, id, role, name, created_at, revoked_at FROM api_keys WHERE tenant_id = $1::text ORDER BY created_at, id`,
    [tenant],
  );
  return r.rows;
}

/** Whether any key exists at all (the embedded first start creates a development key when none does). */
export async function anyKeyExists(q: Queryable): Promise<boolean> {
  const r = await q.query("SELECT 1 FROM api_keys LIMIT 1");
  return r.rows.length > 0;
}
