import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { policyAllowsSql, policyGateCte, policyRefusalError, type PolicyRefusal } from "../policy/index.js";
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
  s.with("gate", policyGateCte(s, { kind: "backup_codes" }));
  const allowed = policyAllowsSql("gate");
  withListCtes(s, replaceListCtes(s, count, hashes, allowed));
  s.with("audit", auditInsertCte(s, meta, generatedAt, [{ kind: "backup_codes.generated", userId, details: { count }, when: allowed }]));
  const r = await runListStatement<{ inserted: number; h_refusal: PolicyRefusal | null; audits: WrittenAuditRow[] | null }>(
    s,
    deps.db,
    `SELECT (SELECT count(*)::integer FROM list_inserted) AS inserted, (SELECT count(*) FROM list_codes) AS cleared,
       (SELECT ok FROM list_guard) AS guard, (SELECT refusal FROM gate) AS h_refusal, ${writtenAuditRows("audit")}`,
  );
  logWrittenAudits(deps.logger, meta, r.rows[0]?.audits);
  // Ensure the tenant offers backup codes.
  const refusal = r.rows[0]?.h_refusal;
  if (refusal !== null && refusal !== undefined) throw policyRefusalError(refusal, "backup_codes");
  return { codes: [...symbols].map((c) => groupSymbols(c, BACKUP_CODE_GROUP)), generatedAt };
}
