import type { Queryable } from "../../store/db.js";
import type { Statement } from "../../store/statement.js";

/**
 * The backup_code_lists and backup_codes tables' SQL. Every statement names
 * tenant and user first, matching the keys.
 */

/** Scalar SQL: how many unused codes the user has, as the statement's snapshot sees them. */
export function remainingCodesSql(s: Statement, userSql: string): string {
  return `(SELECT count(*)::integer FROM backup_codes WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${userSql} AND used_at IS NULL)`;
}

/**
 * A CTE body consuming the statement's user's code with this hash if it is
 * unused: one indexed, conditional UPDATE, so of any number of concurrent
 * redemptions exactly one gets the row.
 */
export function consumeCodeCte(s: Statement, hash: Buffer): string {
  return `UPDATE backup_codes SET used_at = ${s.ref("now")}
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND code_hash = ${s.param(hash, "bytea")} AND used_at IS NULL
    RETURNING code_hash`;
}

/**
 * CTE bodies replacing the user's list: the header upserted (its row lock
 * makes a second concurrent regeneration of the same user wait for this one),
 * every old code deleted and the new hashes inserted, all in the caller's
 * one statement, so at no moment do both lists work, nor does neither.
 */
export function replaceListCtes(
  s: Statement,
  total: number,
  hashes: readonly Buffer[],
  when = "true",
): { header: string; cleared: string; inserted: string } {
  const [tenant, user, now] = [s.ref("tenant"), s.ref("user"), s.ref("now")];
  return {
    header: `INSERT INTO backup_code_lists (tenant_id, user_id, generated_at, total)
      SELECT ${tenant}, ${user}, ${now}, ${s.param(total, "integer")} WHERE ${when}
      ON CONFLICT (tenant_id, user_id) DO UPDATE SET generated_at = EXCLUDED.generated_at, total = EXCLUDED.total
      RETURNING total`,
    cleared: `DELETE FROM backup_codes WHERE tenant_id = ${tenant} AND user_id = ${user} AND ${when} RETURNING code_hash`,
    inserted: `INSERT INTO backup_codes (tenant_id, user_id, code_hash)
      SELECT ${tenant}, ${user}, h FROM unnest(${s.param(hashes, "bytea[]")}) AS h WHERE ${when}
      RETURNING code_hash`,
  };
}

/**
 * CTE bodies deleting the statement's user's list (an administrator's reset):
 * the header, which regeneration locks first, so a concurrent regeneration
 * waits and then starts a fresh list, and every code under it.
 */
export function deleteListCtes(s: Statement): { header: string; codes: string } {
  const [tenant, user] = [s.ref("tenant"), s.ref("user")];
  return {
    header: `DELETE FROM backup_code_lists WHERE tenant_id = ${tenant} AND user_id = ${user} RETURNING total`,
    codes: `DELETE FROM backup_codes WHERE tenant_id = ${tenant} AND user_id = ${user} RETURNING code_hash`,
  };
}

/** A user's list: its length, unused codes and when it was made (zeros and undefined when none). */
export interface ListStatus {
  total: number;
  remaining: number;
  generatedAt: Date | undefined;
}

/** The list header and its unused codes in one statement. */
export async function selectStatus(db: Queryable, tenant: string, userId: string): Promise<ListStatus> {
  const result = await db.query<{ total: number | null; generated_at: Date | null; remaining: number }>(
    `SELECT l.total, l.generated_at,
            (SELECT count(*)::integer FROM backup_codes c
              WHERE c.tenant_id = $1::text AND c.user_id = $2::text AND c.used_at IS NULL) AS remaining
     FROM (SELECT 1) AS one
     LEFT JOIN backup_code_lists l ON l.tenant_id = $1::text AND l.user_id = $2::text`,
    [tenant, userId],
  );
  const row = result.rows[0];
  return { total: row?.total ?? 0, remaining: row?.remaining ?? 0, generatedAt: row?.generated_at ?? undefined };
}
