import type { Queryable } from "../../store/db.js";

/**
 * Backup code SQL, one parameterised statement per function (graphile-worker
 * style). Every statement names tenant and user first, matching the keys.
 */

/**
 * Records a new list for the user, or replaces the old list's header. Run
 * first in the regeneration transaction: the row lock it takes makes a second
 * concurrent regeneration of the same user wait until this one commits.
 */
export async function upsertList(tx: Queryable, tenant: string, userId: string, generatedAt: Date, total: number): Promise<void> {
  await tx.query(
    `INSERT INTO backup_code_lists (tenant_id, user_id, generated_at, total)
     VALUES ($1::text, $2::text, $3::timestamptz, $4::integer)
     ON CONFLICT (tenant_id, user_id) DO UPDATE SET generated_at = EXCLUDED.generated_at, total = EXCLUDED.total`,
    [tenant, userId, generatedAt, total],
  );
}

/** Deletes every code of the user's list, used or not. */
export async function deleteCodes(tx: Queryable, tenant: string, userId: string): Promise<void> {
  await tx.query(`DELETE FROM backup_codes WHERE tenant_id = $1::text AND user_id = $2::text`, [tenant, userId]);
}

/** Inserts the hashes of a new list in one statement. */
export async function insertCodes(tx: Queryable, tenant: string, userId: string, hashes: readonly Buffer[]): Promise<void> {
  const values: string[] = [];
  const params: unknown[] = [tenant, userId];
  for (const hash of hashes) {
    params.push(hash);
    values.push(`($1::text, $2::text, $${params.length}::bytea)`);
  }
  await tx.query(`INSERT INTO backup_codes (tenant_id, user_id, code_hash) VALUES ${values.join(", ")}`, params);
}

/**
 * Consumes the code with this hash if it is unused: one indexed, conditional
 * UPDATE, so of any number of concurrent redemptions exactly one gets a row.
 */
export async function consumeCode(db: Queryable, tenant: string, userId: string, hash: Buffer, at: Date): Promise<boolean> {
  const result = await db.query<{ code_hash: Buffer }>(
    `UPDATE backup_codes SET used_at = $4::timestamptz
     WHERE tenant_id = $1::text AND user_id = $2::text AND code_hash = $3::bytea AND used_at IS NULL
     RETURNING code_hash`,
    [tenant, userId, hash, at],
  );
  return result.rows.length === 1;
}

export interface ListStatus {
  total: number;
  remaining: number;
  generatedAt: Date | undefined;
}

/** The list header and its unused codes; zeros and no date when the user has none. */
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
  return {
    total: row?.total ?? 0,
    remaining: row?.remaining ?? 0,
    generatedAt: row?.generated_at ?? undefined,
  };
}

/** How many unused codes the user has. */
export async function countUnused(db: Queryable, tenant: string, userId: string): Promise<number> {
  const result = await db.query<{ remaining: number }>(
    `SELECT count(*)::integer AS remaining FROM backup_codes
     WHERE tenant_id = $1::text AND user_id = $2::text AND used_at IS NULL`,
    [tenant, userId],
  );
  return result.rows[0]?.remaining ?? 0;
}
