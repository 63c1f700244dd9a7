import type { OtpAlgorithm } from "../../core/index.js";
import type { FieldViolation } from "../errors.js";
import type { TokenProfile } from "../factors/factor.js";

/** Bounds of an imported secret. */
export const MIN_IMPORTED_SECRET_BYTES = 16;
/** Longer secrets add nothing over SHA512's block and only bloat the QR code. */
export const MAX_IMPORTED_SECRET_BYTES = 64;
/** Nitrokey Pro and Storage OATH slots hold HMAC-SHA1 secrets of at most 40 bytes. */
export const NITROKEY_MAX_SECRET_BYTES = 40;

/** Whether a profile is a hardware OATH token with Nitrokey's limits. */
export function isNitrokeyProfile(p: TokenProfile): boolean {
  return p === "nitrokey_pro" || p === "nitrokey_storage";
}

/**
 * The secret-size rule TOTP and HOTP share, in one place so the two cannot
 * drift: an imported secret of `n` bytes must be within the bounds; 0 bytes
 * means the service generates one.
 */
export function importedSecretViolations(n: number): FieldViolation[] {
  if (n === 0 || (n >= MIN_IMPORTED_SECRET_BYTES && n <= MAX_IMPORTED_SECRET_BYTES)) return [];
  return [
    {
      field: "secret",
      description: `an imported secret must be ${MIN_IMPORTED_SECRET_BYTES}-${MAX_IMPORTED_SECRET_BYTES} bytes (empty to generate one)`,
    },
  ];
}

/**
 * What the chosen token can hold, the same for TOTP and HOTP: Nitrokey
 * Pro/Storage slots take SHA1 only and secrets of at most 40 bytes.
 */
export function tokenProfileViolations(profile: TokenProfile, algorithm: OtpAlgorithm, n: number): FieldViolation[] {
  const violations: FieldViolation[] = [];
  if (!isNitrokeyProfile(profile)) return violations;
  if (algorithm !== "SHA1") violations.push({ field: "algorithm", description: "this token profile supports SHA1 only" });
  if (n > NITROKEY_MAX_SECRET_BYTES) {
    violations.push({ field: "secret", description: `this token profile holds secrets of at most ${NITROKEY_MAX_SECRET_BYTES} bytes` });
  }
  return violations;
}
