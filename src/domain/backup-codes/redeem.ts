import type { Logger } from "pino";
import type { Keyring } from "../../crypto/keyring.js";
import type { Queryable } from "../../store/db.js";
import type { RequestMeta } from "../caller.js";
import type { Clock } from "../clock.js";
import { writeAudit } from "./audit.js";
import { normaliseCrockford } from "./crockford.js";
import { BACKUP_CODE_HASH_PURPOSE, BACKUP_CODE_SYMBOLS, BACKUP_CODES_LOW } from "./rules.js";
import { consumeCode, countUnused } from "./store.js";

/** What redeeming a backup code did: a spent code and how many are left, or a refusal. */
export type RedeemOutcome =
  | { ok: true; remaining: number }
  /** The code is not an unused code of the user's current list (wrong, used, replaced or malformed). */
  | { ok: false; reason: "wrong_code" };

/** What redemption needs; `db` may be a transaction the caller (Verify) already holds. */
export interface RedeemDeps {
  db: Queryable;
  keyring: Keyring;
  clock: Clock;
  logger: Logger;
}

/**
 * Spends one backup code for Verify's `backup_code` proof.
 *
 * The typed code is normalised (Crockford: case, spaces, dashes, O/0, I/L/1),
 * hashed under the server pepper, and consumed by one conditional UPDATE keyed
 * by (tenant, user, hash): one index probe, no loop over slow hashes, and
 * exactly one of any number of concurrent redemptions succeeds. Anything that
 * is not 16 Crockford symbols after normalising simply does not match.
 *
 * Audits `backup_codes.redeemed` and, at three or fewer left,
 * `backup_codes.running_low`. A refusal writes nothing: throttling and the
 * verification outcome's audit belong to the login flow that called this.
 */
export async function redeemBackupCode(deps: RedeemDeps, meta: RequestMeta, userId: string, code: string): Promise<RedeemOutcome> {
  const tenant = meta.caller.tenant;
  const normalised = normaliseCrockford(code, BACKUP_CODE_SYMBOLS);
  if (normalised === undefined) return { ok: false, reason: "wrong_code" };

  const at = deps.clock.now();
  const hash = deps.keyring.keyedHash(BACKUP_CODE_HASH_PURPOSE, normalised);
  // Ensure the code is unused and spend it in the same statement.
  if (!(await consumeCode(deps.db, tenant, userId, hash, at))) return { ok: false, reason: "wrong_code" };

  const remaining = await countUnused(deps.db, tenant, userId);
  await writeAudit(deps, deps.db, meta, at, { userId, kind: "backup_codes.redeemed", details: { remaining } });
  if (remaining <= BACKUP_CODES_LOW) {
    await writeAudit(deps, deps.db, meta, at, { userId, kind: "backup_codes.running_low", details: { remaining } });
  }
  return { ok: true, remaining };
}
