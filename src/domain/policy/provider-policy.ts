import type { OtpAlgorithm, OtpDigits } from "../../core/index.js";

/**
 * A tenant's provider policy: which kinds of second factor (and app
 * passwords) it offers, and the limits of the kinds that have them
 * (docs/design.md "Provider policy"). Plain data, no protobuf: the login
 * flow, the enrolments and the admin API all speak it.
 */

/** The kinds a policy turns on and off; the four factor kinds are named as factors.kind stores them. */
export type PolicyKind = "totp" | "hotp" | "webauthn" | "passwordless" | "backup_codes" | "app_passwords";

/** Every kind, in the order policies list them. */
export const POLICY_KINDS: readonly PolicyKind[] = ["totp", "hotp", "webauthn", "passwordless", "backup_codes", "app_passwords"];

/** What a new TOTP factor may be. */
export interface TotpLimits {
  algorithms: OtpAlgorithm[];
  digits: OtpDigits[];
  /** Only hardware token profiles; authenticator apps (`software`) are refused. */
  hardwareOnly: boolean;
}

export interface ProviderPolicy {
  /** The kinds turned off, in POLICY_KINDS order; every other kind is offered. */
  disabledKinds: PolicyKind[];
  /** Undefined: no TOTP limits. */
  totp: TotpLimits | undefined;
  /** The longest lifetime of an app password; undefined: no maximum. */
  appPasswordMaxLifetimeMs: number | undefined;
}

/** What a tenant that never set a policy gets: everything enabled, no limits. */
export function defaultProviderPolicy(): ProviderPolicy {
  return { disabledKinds: [], totp: undefined, appPasswordMaxLifetimeMs: undefined };
}

/** Whether the policy offers `kind`. */
export function kindEnabled(policy: ProviderPolicy, kind: PolicyKind): boolean {
  return !policy.disabledKinds.includes(kind);
}
