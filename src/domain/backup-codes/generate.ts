import type { AppDeps } from "../../app.js";
import type { RequestMeta } from "../caller.js";
import { invalidArgument } from "../errors.js";
import { writeAudit } from "./audit.js";
import { groupSymbols, randomCrockford } from "./crockford.js";
import { BACKUP_CODE_GROUP, BACKUP_CODE_HASH_PURPOSE, BACKUP_CODE_SYMBOLS, resolveBackupCodeCount } from "./rules.js";
import { deleteCodes, insertCodes, upsertList } from "./store.js";

export interface GeneratedBackupCodes {
  /** Shown to the user once; only their keyed hashes are stored. */
  codes: string[];
  generatedAt: Date;
}

/**
 * Issues a new list of backup codes, replacing the old one in the same
 * transaction, so at no moment do both lists work, nor does neither.
 * `count` 0 means the default of 10.
 */
export async function generateBackupCodes(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random" | "logger">,
  meta: RequestMeta,
  userId: string,
  count: number,
): Promise<GeneratedBackupCodes> {
  const total = resolveBackupCodeCount(count);
  if (total === undefined) throw invalidArgument([{ field: "count", description: "must be between 1 and 20, or 0 for 10" }]);
  const tenant = meta.caller.tenant;
  const generatedAt = deps.clock.now();

  // Draw distinct codes (80 random bits each; a repeat is all but impossible, but the key would refuse it).
  const symbols = new Set<string>();
  while (symbols.size < total) symbols.add(randomCrockford(deps.random, BACKUP_CODE_SYMBOLS));
  const hashes = [...symbols].map((s) => deps.keyring.keyedHash(BACKUP_CODE_HASH_PURPOSE, s));

  await deps.db.transaction(async (tx) => {
    await upsertList(tx, tenant, userId, generatedAt, total);
    await deleteCodes(tx, tenant, userId);
    await insertCodes(tx, tenant, userId, hashes);
    await writeAudit(deps, tx, meta, generatedAt, { userId, kind: "backup_codes.generated", details: { count: total } });
  });
  return { codes: [...symbols].map((s) => groupSymbols(s, BACKUP_CODE_GROUP)), generatedAt };
}
