import { factorSecretAad, type Keyring } from "../../crypto/keyring.js";
import type { Db } from "../../store/db.js";
import { replaceSealedSecret, sealedSecretsAfter } from "./store.js";

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
    const batch = await sealedSecretsAfter(db, after, BATCH);
    for (const row of batch) {
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
      if (await replaceSealedSecret(db, row, sealed, resealed)) report.rotated += 1;
      else report.raced += 1;
    }
    const last = batch[batch.length - 1];
    if (last === undefined || batch.length < BATCH) break;
    after = [last.tenant_id, last.user_id, last.id];
  }
  return report;
}
