import type { OtpAlgorithm, OtpDigits, TotpPeriod } from "../../core/index.js";
import type { FieldViolation } from "../errors.js";
import type { TokenProfile } from "../factors/factor.js";

/** Bytes of a server-generated secret (RFC 4226 §4 recommends 160 bits). */
export const GENERATED_SECRET_BYTES = 20;
/** Bounds of an imported secret. */
export const MIN_IMPORTED_SECRET_BYTES = 16;
/** Longer secrets add nothing over SHA512's block and only bloat the QR code. */
export const MAX_IMPORTED_SECRET_BYTES = 64;
/** Nitrokey Pro and Storage OATH slots hold HMAC-SHA1 secrets of at most 40 bytes. */
export const NITROKEY_MAX_SECRET_BYTES = 40;

/** A TOTP spec as the caller asked for it; zero values mean the defaults. */
export interface TotpSpecInput {
  algorithm: OtpAlgorithm | undefined;
  /** 0 means 6. */
  digits: number;
  /** 0 means 30. */
  periodSeconds: number;
  /** Empty means generate one. */
  secret: Uint8Array;
  issuer: string;
  accountName: string;
  tokenProfile: TokenProfile;
}

/** A TOTP spec with every default applied and every rule checked. */
export interface TotpSpec {
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  periodSeconds: TotpPeriod;
  /** Undefined: the service generates the secret. */
  importedSecret: Uint8Array | undefined;
  issuer: string;
  accountName: string;
  tokenProfile: TokenProfile;
}

function isHardwareProfile(p: TokenProfile): boolean {
  return p === "nitrokey_pro" || p === "nitrokey_storage";
}

/**
 * Applies the defaults (SHA1, 6 digits, 30 s) and checks the rules of DESIGN
 * "Factors and their rules", including what the chosen token profile can
 * hold. Violations name fields relative to the spec (`digits`, `secret`).
 */
export function resolveTotpSpec(
  input: TotpSpecInput,
): { ok: true; spec: TotpSpec } | { ok: false; violations: FieldViolation[] } {
  const violations: FieldViolation[] = [];
  const algorithm = input.algorithm ?? "SHA1";
  const digits = input.digits === 0 ? 6 : input.digits;
  const period = input.periodSeconds === 0 ? 30 : input.periodSeconds;
  if (digits !== 6 && digits !== 8) violations.push({ field: "digits", description: "must be 6 or 8 (0 means 6)" });
  if (period !== 30 && period !== 60) violations.push({ field: "period_seconds", description: "must be 30 or 60 (0 means 30)" });
  const n = input.secret.length;
  if (n !== 0 && (n < MIN_IMPORTED_SECRET_BYTES || n > MAX_IMPORTED_SECRET_BYTES)) {
    violations.push({
      field: "secret",
      description: `an imported secret must be ${MIN_IMPORTED_SECRET_BYTES}-${MAX_IMPORTED_SECRET_BYTES} bytes (empty to generate one)`,
    });
  }
  // Ensure the chosen token can hold the spec (Nitrokey Pro/Storage: SHA1, ≤ 40 bytes).
  if (isHardwareProfile(input.tokenProfile)) {
    if (algorithm !== "SHA1") violations.push({ field: "algorithm", description: "this token profile supports SHA1 only" });
    if (n > NITROKEY_MAX_SECRET_BYTES) {
      violations.push({ field: "secret", description: `this token profile holds secrets of at most ${NITROKEY_MAX_SECRET_BYTES} bytes` });
    }
  }
  if (violations.length > 0) return { ok: false, violations };
  return {
    ok: true,
    spec: {
      algorithm,
      digits: digits as OtpDigits,
      periodSeconds: period as TotpPeriod,
      importedSecret: n === 0 ? undefined : input.secret,
      issuer: input.issuer,
      accountName: input.accountName,
      tokenProfile: input.tokenProfile,
    },
  };
}
