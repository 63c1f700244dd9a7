import type { Queryable, QueryResult } from "../../store/db.js";
import { andWhen, type Statement } from "../../store/statement.js";

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
export function consumeCodeCte(s: Statement, hash: Buffer, when?: string): string {
  return `UPDATE backup_codes SET used_at = ${s.ref("now")}
    WHERE tenant_id = ${s.ref("tenant")} AND user_id = ${s.ref("user")} AND code_hash = ${s.param(hash, "bytea")} AND used_at IS NULL${andWhen(when)}
    RETURNING code_hash`;
}

/**
 * CTE bodies replacing the user's list: the header upserted (its row lock
 * makes a second concurrent regeneration of the same user wait for this one),
 * every old code deleted and the new hashes inserted, all in the caller's
 * one statement, so at no moment do both lists work, nor does neither.
 *
 * `guard` must be selected by the statement: a regeneration that committed
 * after this statement's snapshot was taken left codes its DELETE cannot
 * see, so when the generation the header lock found is not the one the
 * snapshot saw, it aborts the statement with 40001 (run it with
 * `runListStatement`, which runs it again on a fresh snapshot).
 */
export function replaceListCtes(s: Statement, total: number, hashes: readonly Buffer[], when = "true"): ListCtes {
  const [tenant, user, now] = [s.ref("tenant"), s.ref("user"), s.ref("now")];
  return {
    seen: seenGenerationSql(tenant, user),
    header: `INSERT INTO backup_code_lists AS l (tenant_id, user_id, generated_at, total)
      SELECT ${tenant}, ${user}, ${now}, ${s.param(total, "integer")} WHERE ${when}
      ON CONFLICT (tenant_id, user_id) DO UPDATE SET generated_at = EXCLUDED.generated_at, total = EXCLUDED.total, generation = l.generation + 1
      RETURNING total, generation - 1 AS previous`,
    codes: `DELETE FROM backup_codes WHERE tenant_id = ${tenant} AND user_id = ${user} AND ${when} RETURNING code_hash`,
    inserted: `INSERT INTO backup_codes (tenant_id, user_id, code_hash)
      SELECT ${tenant}, ${user}, h FROM unnest(${s.param(hashes, "bytea[]")}) AS h WHERE ${when}
      RETURNING code_hash`,
    guard: guardSql(when),
  };
}

/**
 * The CTEs of a list change, added to a statement by `withListCtes` under
 * the names list_seen, list_header (its rows: total, previous), list_codes
 * (the deleted codes: code_hash), list_inserted and list_guard. The
 * statement must select `(SELECT ok FROM list_guard)`.
 */
export interface ListCtes {
  seen: string;
  header: string;
  codes: string;
  inserted?: string;
  guard: string;
}

export function withListCtes(s: Statement, ctes: ListCtes): void {
  s.with("list_seen", ctes.seen).with("list_header", ctes.header).with("list_codes", ctes.codes);
  if (ctes.inserted !== undefined) s.with("list_inserted", ctes.inserted);
  s.with("list_guard", ctes.guard);
}

function seenGenerationSql(tenant: string, user: string): string {
  return `SELECT generation FROM backup_code_lists WHERE tenant_id = ${tenant} AND user_id = ${user}`;
}

/**
 * True when the header row the statement changed is the one its snapshot saw
 * (a new list: the snapshot saw none and the statement inserted generation
 * 1), or when `when` kept the statement from changing anything; otherwise
 * aborts with 40001.
 */
function guardSql(when = "true"): string {
  return `SELECT CASE WHEN NOT (${when})
                     OR (SELECT previous FROM list_header) IS NOT DISTINCT FROM (SELECT generation FROM list_seen)
                     OR ((SELECT previous FROM list_header) = 0 AND NOT EXISTS (SELECT 1 FROM list_seen))
                   THEN true
                   ELSE twofold_abort('40001', 'backup code list changed concurrently') END AS ok`;
}

/**
 * CTE bodies deleting the statement's user's list (an administrator's reset):
 * the header, which regeneration locks first, so a concurrent regeneration
 * waits and then starts a fresh list, and every code under it. The same
 * guard as `replaceListCtes`: a regeneration that committed after the
 * snapshot aborts the statement to be run again.
 */
export function deleteListCtes(s: Statement): ListCtes {
  const [tenant, user] = [s.ref("tenant"), s.ref("user")];
  return {
    seen: seenGenerationSql(tenant, user),
    header: `DELETE FROM backup_code_lists WHERE tenant_id = ${tenant} AND user_id = ${user} RETURNING total, generation AS previous`,
    codes: `DELETE FROM backup_codes WHERE tenant_id = ${tenant} AND user_id = ${user} RETURNING code_hash`,
    guard: guardSql(),
  };
}

/** Attempts at a list statement aborted by a concurrent regeneration (each on a fresh snapshot). */
const LIST_ATTEMPTS = 5;

/**
 * Runs a statement built with `replaceListCtes` or `deleteListCtes`, again
 * when its guard aborted it (40001): the statement rolled back whole, so
 * running it again is safe, and the fresh snapshot sees the list that won.
 */
export async function runListStatement<R>(s: Statement, db: Queryable, main: string): Promise<QueryResult<R>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await s.run<R>(db, main);
    } catch (err) {
      if (attempt >= LIST_ATTEMPTS || (err as { code?: unknown }).code !== "40001") throw err;
    }
  }
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
