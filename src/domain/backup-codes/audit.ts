import type { Logger } from "pino";
import type { Queryable } from "../../store/db.js";
import { recordAudit, type AuditDetails, type AuditKind } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";

/** The audit events of backup codes and app passwords. */
export type CredentialAuditKind =
  | "backup_codes.generated"
  | "backup_codes.redeemed"
  | "backup_codes.running_low"
  | "app_password.created"
  | "app_password.revoked"
  | "app_password.verified"
  | "app_password.refused";

export interface CredentialAuditEntry {
  kind: CredentialAuditKind | AuditKind;
  userId: string;
  /** The app password the event is about, else empty. */
  factorId?: string;
  /** Non-secret facts only: never a code, a password or a hash. */
  details?: AuditDetails;
}

/**
 * Records a backup code or app password event through the shared audit
 * module (one row, one log line). Pass a transaction as `q` to make the row
 * part of the change it records. The shared AuditKind union does not list
 * these kinds yet; once it does, the widening below can go.
 */
export async function writeAudit(
  deps: { logger: Logger },
  q: Queryable,
  meta: RequestMeta,
  at: Date,
  entry: CredentialAuditEntry,
): Promise<void> {
  const kind: string = entry.kind;
  await recordAudit(deps, q, meta, at, { ...entry, kind: kind as AuditKind });
}
