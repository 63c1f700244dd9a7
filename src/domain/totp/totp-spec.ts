import type { OtpAlgorithm, OtpDigits, TotpPeriod } from "../../core/index.js";
import type { FieldViolation } from "../errors.js";
import type { TokenProfile } from "../factors/factor.js";
import { importedSecretViolations, tokenProfileViolations } from "../otp/otp-secret-rules.js";

/** Bytes of a server-generated secret (RFC 4226 §4 recommends 160 bits). */
export const GENERATED_SECRET_BYTES = 20;
/** The secret bounds live with the rules TOTP and HOTP share; kept here for existing callers. */
export {
  MAX_IMPORTED_SECRET_BYTES,
  MIN_IMPORTED_SECRET_BYTES,
  NITROKEY_MAX_SECRET_BYTES,
} from "../otp/otp-secret-rules.js";

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
  violations.push(...importedSecretViolations(n));
  // Ensure the chosen token can hold the spec (Nitrokey Pro/Storage: SHA1, ≤ 40 bytes).
  violations.push(...tokenProfileViolations(input.tokenProfile, algorithm, n));
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
