import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { groupSymbols, randomCrockford } from "./crockford.js";
import { BACKUP_CODE_GROUP, BACKUP_CODE_HASH_PURPOSE, BACKUP_CODE_SYMBOLS } from "./rules.js";
import { replaceListCtes, runListStatement, withListCtes } from "./store.js";

export interface GeneratedBackupCodes {
  /** Shown to the user once; only their keyed hashes are stored. */
  codes: string[];
  generatedAt: Date;
}

/**
 * Issues a new list of `count` backup codes (validated upstream: 1–20),
 * replacing the old one in the same statement as its audit row, so at no
 * moment do both lists work, nor does neither.
 */
export async function generateBackupCodes(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random" | "logger">,
  meta: RequestMeta,
  userId: string,
  count: number,
): Promise<GeneratedBackupCodes> {
  const generatedAt = deps.clock.now();
  // Draw distinct codes (80 random bits each; a repeat is all but impossible, but the key would refuse it).
  const symbols = new Set<string>();
  while (symbols.size < count) symbols.add(randomCrockford(deps.random, BACKUP_CODE_SYMBOLS));
  const hashes = [...symbols].map((c) => deps.keyring.keyedHash(BACKUP_CODE_HASH_PURPOSE, c));

  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("user", userId, "text");
  s.define("now", generatedAt, "timestamptz");
  withListCtes(s, replaceListCtes(s, count, hashes));
  s.with("audit", auditInsertCte(s, meta, generatedAt, [{ kind: "backup_codes.generated", userId, details: { count } }]));
  const r = await runListStatement<{ inserted: number; audits: WrittenAuditRow[] | null }>(
    s,
    deps.db,
    `SELECT (SELECT count(*)::integer FROM list_inserted) AS inserted, (SELECT count(*) FROM list_codes) AS cleared,
       (SELECT ok FROM list_guard) AS guard, ${writtenAuditRows("audit")}`,
  );
  logWrittenAudits(deps.logger, meta, r.rows[0]?.audits);
  return { codes: [...symbols].map((c) => groupSymbols(c, BACKUP_CODE_GROUP)), generatedAt };
}
