import type { Queryable } from "../../store/db.js";
import { deleteCodes } from "../backup-codes/store.js";
import type { FactorKind } from "../factors/index.js";

/**
 * The statements of ResetSecondFactor, each one conditional statement run
 * inside the reset's transaction. Every one names tenant and user first.
 */

/** Deletes the user's factors of these kinds, pending ones too; returns what went. */
export async function deleteFactorsOfKinds(
  tx: Queryable,
  tenant: string,
  userId: string,
  kinds: readonly FactorKind[],
): Promise<{ id: string; kind: FactorKind }[]> {
  const r = await tx.query<{ id: string; kind: FactorKind }>(
    `DELETE FROM factors
     WHERE tenant_id = $1::text AND user_id = $2::text
       AND kind IN (SELECT jsonb_array_elements_text($3::jsonb))
     RETURNING id::text AS id, kind`,
    [tenant, userId, JSON.stringify(kinds)],
  );
  return r.rows;
}

/**
 * Deletes the user's backup code list: the header first, in the order
 * regeneration locks it, so a concurrent regeneration waits for this
 * transaction and then starts a fresh list. True when the user had a list
 * (codes exist only under a header, which regeneration writes first).
 */
export async function deleteBackupCodeList(tx: Queryable, tenant: string, userId: string): Promise<boolean> {
  const header = await tx.query<{ total: number }>(
    `DELETE FROM backup_code_lists WHERE tenant_id = $1::text AND user_id = $2::text RETURNING total`,
    [tenant, userId],
  );
  await deleteCodes(tx, tenant, userId);
  return header.rows.length > 0;
}

/** Revokes every app password of the user not yet revoked; returns how many. */
export async function revokeAllAppPasswords(tx: Queryable, tenant: string, userId: string, at: Date): Promise<number> {
  const r = await tx.query<{ id: string }>(
    `UPDATE app_passwords SET revoked_at = $3::timestamptz
     WHERE tenant_id = $1::text AND user_id = $2::text AND revoked_at IS NULL
     RETURNING id::text AS id`,
    [tenant, userId, at],
  );
  return r.rows.length;
}
