import type { Logger } from "pino";
import type { Queryable } from "../../store/db.js";
import { recordAudit, type AuditEntry } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";

/** The audit events of backup codes and app passwords (all listed in the shared AuditKind). */
export type CredentialAuditKind = Extract<AuditEntry["kind"], `backup_codes.${string}` | `app_password.${string}`>;

/**
 * Records a backup code or app password event through the shared audit
 * module: one row and one log line. Pass a transaction as `q` to make the row
 * part of the change it records. Details carry non-secret facts only (counts,
 * scopes, reasons): never a code, a password or a hash.
 */
export async function writeAudit(
  deps: { logger: Logger },
  q: Queryable,
  meta: RequestMeta,
  at: Date,
  entry: AuditEntry & { kind: CredentialAuditKind },
): Promise<void> {
  await recordAudit(deps, q, meta, at, entry);
}
