import type { Db } from "../store/db.js";
import { factorSecretAad, type Keyring } from "./keyring.js";

/** What a rotation did; counts only, never a secret. */
export interface RotationReport {
  /** Re-sealed under the newest key. */
  rotated: number;
  /** Already sealed under the newest key. */
  current: number;
  /** Changed by the running service between read and write; its new value is already current. */
  raced: number;
  /** Did not open with any configured key (key missing from TWOFOLD_KEYS, or damaged). */
  failed: number;
}

interface FactorRow {
  tenant_id: string;
  user_id: string;
  id: string;
  secret_sealed: Buffer;
}

const BATCH = 500;

/**
 * Re-seals every factor secret under the keyring's newest key, so an old key
 * can then be removed from TWOFOLD_KEYS. Safe while the service runs: each row
 * is its own short statement, and the UPDATE applies only if the row still
 * holds the ciphertext that was read (a concurrent change wins).
 */
export async function rotateFactorSecrets(db: Db, keyring: Keyring): Promise<RotationReport> {
  const report: RotationReport = { rotated: 0, current: 0, raced: 0, failed: 0 };
  // Tenants are never empty, so this sorts before every row.
  let after: [string, string, string] = ["", "", "00000000-0000-0000-0000-000000000000"];
  for (;;) {
    const batch = await db.query<FactorRow>(
      `SELECT tenant_id, user_id, id::text AS id, secret_sealed
         FROM factors
        WHERE secret_sealed IS NOT NULL
          AND (tenant_id, user_id, id) > ($1, $2, $3::uuid)
        ORDER BY tenant_id, user_id, id
        LIMIT ${BATCH}`,
      after,
    );
    for (const row of batch.rows) {
      const sealed = Buffer.from(row.secret_sealed);
      const aad = factorSecretAad(row.tenant_id, row.user_id, row.id);
      let plain: Buffer;
      try {
        if (keyring.keyIdOf(sealed) === keyring.currentKeyId) {
          report.current += 1;
          continue;
        }
        plain = keyring.open(sealed, aad);
      } catch {
        report.failed += 1;
        continue;
      }
      const resealed = keyring.seal(plain, aad);
      plain.fill(0);
      const updated = await db.query(
        `UPDATE factors SET secret_sealed = $5
          WHERE tenant_id = $1 AND user_id = $2 AND id = $3::uuid AND secret_sealed = $4`,
        [row.tenant_id, row.user_id, row.id, sealed, resealed],
      );
      if (updated.rowCount === 1) report.rotated += 1;
      else report.raced += 1;
    }
    const last = batch.rows[batch.rows.length - 1];
    if (last === undefined || batch.rows.length < BATCH) break;
    after = [last.tenant_id, last.user_id, last.id];
  }
  return report;
}
