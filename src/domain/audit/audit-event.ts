/**
 * The kinds of audit event this module writes. A closed set, so a reader (or
 * an alert rule) can rely on the names.
 */
export type AuditKind =
  | "factor.enrolled"
  | "factor.confirmed"
  | "factor.confirm_failed"
  | "factor.renamed"
  | "factor.removed"
  | "factor.expired"
  | "factor.resynced"
  | "factor.resync_failed"
  | "factor.imported"
  | "login.challenged"
  | "verify.succeeded"
  | "verify.failed"
  | "throttle.blocked"
  | "webauthn.clone_suspected"
  | "backup_codes.generated"
  | "backup_codes.redeemed"
  | "backup_codes.running_low"
  | "app_password.created"
  | "app_password.revoked"
  | "app_password.verified"
  | "app_password.refused"
  | "admin.second_factor_reset"
  | "admin.throttle_cleared"
  | "admin.enforcement_policy_set"
  | "admin.provider_policy_set"
  | "admin.relying_party_set"
  | "api_key.created"
  | "api_key.revoked";

/**
 * Non-secret facts about an event: reasons, providers, drift, counts. Values
 * are scalars only, which keeps a code or a secret from riding along inside
 * some nested object.
 */
export type AuditDetails = Record<string, string | number | boolean>;

/** What a caller records; tenant, caller key, client ip and time come from the request. */
export interface AuditEntry {
  kind: AuditKind;
  userId: string;
  /** The factor the event is about, else empty. */
  factorId?: string;
  details?: AuditDetails;
}

/** An event as read back. */
export interface AuditEvent {
  id: number;
  /** The writing transaction's id (xid8, as text): with `id`, the commit-order key of the admin listing. */
  txId: string;
  tenant: string;
  userId: string;
  kind: string;
  factorId: string;
  at: Date;
  apiKeyId: string;
  clientIp: string;
  details: Record<string, unknown>;
}
