import type { OtpAlgorithm, OtpDigits } from "../../core/index.js";
import { DomainError, invalidArgument, type FieldViolation } from "../errors.js";
import { POLICY_KINDS, type PolicyKind, type ProviderPolicy } from "./provider-policy.js";
import type { PolicyRefusal } from "./provider-policy-store.js";

/** Bounds of an app password's maximum lifetime: those of an app password's own ttl (app-passwords/rules.ts). */
export const MIN_MAX_LIFETIME_MS = 60_000;
export const MAX_MAX_LIFETIME_MS = 10 * 365.25 * 24 * 3600 * 1000;

/**
 * A provider policy as a caller sends it, before validation. Enum values
 * this build does not know arrive as undefined; a malformed duration as NaN.
 */
export interface ProviderPolicyInput {
  disabledKinds: readonly (PolicyKind | undefined)[];
  totp: { algorithms: readonly (OtpAlgorithm | undefined)[]; digits: readonly number[]; hardwareOnly: boolean } | undefined;
  /** Undefined: no app password limits were sent. */
  appPasswords: { maxLifetimeMs: number | undefined } | undefined;
}

function dedupe<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/**
 * Validates a provider policy and returns it normalised (lists deduplicated,
 * kinds in POLICY_KINDS order), naming every bad field as the .proto does:
 * an unknown kind, algorithm or digit count; an empty list (a limit that
 * allows nothing: leave `totp` unset for no limits, or turn TOTP off);
 * limits for a kind the same request turns off (contradictory); a maximum
 * lifetime outside 1 minute to 10 years.
 */
export function parseProviderPolicy(input: ProviderPolicyInput): ProviderPolicy {
  const v: FieldViolation[] = [];
  input.disabledKinds.forEach((k, i) => {
    if (k === undefined) v.push({ field: `disabled_kinds[${i}]`, description: `must be one of ${POLICY_KINDS.join(", ").toUpperCase()}` });
  });
  const disabled = new Set(input.disabledKinds);
  let totp: ProviderPolicy["totp"];
  if (input.totp !== undefined) {
    const t = input.totp;
    if (disabled.has("totp")) v.push({ field: "totp", description: "must be unset while disabled_kinds turns TOTP off" });
    if (t.algorithms.length === 0) v.push({ field: "totp.allowed_algorithms", description: "must name at least one algorithm (leave totp unset for no limits)" });
    t.algorithms.forEach((a, i) => {
      if (a === undefined) v.push({ field: `totp.allowed_algorithms[${i}]`, description: "must be SHA1, SHA256 or SHA512" });
    });
    if (t.digits.length === 0) v.push({ field: "totp.allowed_digits", description: "must name at least one of 6 and 8 (leave totp unset for no limits)" });
    t.digits.forEach((d, i) => {
      if (d !== 6 && d !== 8) v.push({ field: `totp.allowed_digits[${i}]`, description: "must be 6 or 8" });
    });
    totp = {
      algorithms: dedupe(t.algorithms.filter((a): a is OtpAlgorithm => a !== undefined)),
      digits: dedupe(t.digits.filter((d): d is OtpDigits => d === 6 || d === 8)),
      hardwareOnly: t.hardwareOnly,
    };
  }
  let maxLifetimeMs: number | undefined;
  if (input.appPasswords !== undefined) {
    maxLifetimeMs = input.appPasswords.maxLifetimeMs;
    if (disabled.has("app_passwords")) {
      v.push({ field: "app_passwords", description: "must be unset while disabled_kinds turns app passwords off" });
    }
    if (maxLifetimeMs === undefined) {
      v.push({ field: "app_passwords.max_lifetime", description: "must be set (leave app_passwords unset for no limits)" });
    } else if (!(maxLifetimeMs >= MIN_MAX_LIFETIME_MS && maxLifetimeMs <= MAX_MAX_LIFETIME_MS)) {
      v.push({ field: "app_passwords.max_lifetime", description: "must be between 1 minute and 10 years" });
    }
  }
  if (v.length > 0) throw invalidArgument(v);
  return {
    disabledKinds: POLICY_KINDS.filter((k) => disabled.has(k)),
    totp,
    // Whole milliseconds, as stored (a Duration may carry a fraction of one).
    appPasswordMaxLifetimeMs: maxLifetimeMs === undefined ? undefined : Math.floor(maxLifetimeMs),
  };
}

const LABEL: Record<PolicyKind, string> = {
  totp: "TOTP",
  hotp: "HOTP",
  webauthn: "WebAuthn second factors",
  passwordless: "passwordless WebAuthn",
  backup_codes: "backup codes",
  app_passwords: "app passwords",
};

/** The field each limit refusal names, below the request's `prefix` (`spec.totp`). */
const LIMIT: Record<Exclude<PolicyRefusal, "disabled">, { field: string; description: string }> = {
  algorithm: { field: "algorithm", description: "this tenant's provider policy does not allow this algorithm" },
  digits: { field: "digits", description: "this tenant's provider policy does not allow this number of digits" },
  token_profile: { field: "token_profile", description: "this tenant's provider policy allows hardware token profiles only" },
  ttl: { field: "ttl", description: "longer than this tenant's provider policy allows for app passwords" },
};

/**
 * The error a creating call answers when the policy refused it:
 * FAILED_PRECONDITION with reason PROVIDER_DISABLED, or
 * PROVIDER_POLICY_LIMIT naming the field that breaks a limit.
 */
export function policyRefusalError(refusal: PolicyRefusal, kind: PolicyKind, prefix = ""): DomainError {
  if (refusal === "disabled") {
    return new DomainError("failed_precondition", `this tenant's provider policy has turned ${LABEL[kind]} off`, { reason: "PROVIDER_DISABLED" });
  }
  const limit = LIMIT[refusal];
  const field = prefix === "" ? limit.field : `${prefix}.${limit.field}`;
  return new DomainError("failed_precondition", `${field} is outside this tenant's provider policy`, {
    reason: "PROVIDER_POLICY_LIMIT",
    violations: [{ field, description: limit.description }],
  });
}
