import type { OtpAlgorithm, OtpDigits } from "../../core/index.js";
import type { FieldViolation } from "../errors.js";
import type { TokenProfile } from "../factors/factor.js";
import { importedSecretViolations, tokenProfileViolations } from "../otp/otp-secret-rules.js";

/** Kept here too: callers of the HOTP module ask it of a profile. */
export { isNitrokeyProfile } from "../otp/otp-secret-rules.js";

/**
 * The highest starting counter accepted: every counter the service may ever
 * compute (start + resync range, many times over) must stay an exact integer
 * in a JavaScript number and a Postgres bigint.
 */
export const MAX_HOTP_COUNTER = 2 ** 48;

/** An HOTP spec as the caller asked for it; zero values mean the defaults. */
export interface HotpSpecInput {
  algorithm: OtpAlgorithm | undefined;
  /** 0 means 6. */
  digits: number;
  /** Empty means generate one. */
  secret: Uint8Array;
  /** The counter the token will show first. */
  counter: bigint;
  issuer: string;
  accountName: string;
  tokenProfile: TokenProfile;
}

/** An HOTP spec with every default applied and every rule checked. */
export interface HotpSpec {
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  importedSecret: Uint8Array | undefined;
  counter: number;
  issuer: string;
  accountName: string;
  tokenProfile: TokenProfile;
}

/**
 * Applies the defaults (SHA1, 6 digits, counter 0) and checks the rules of
 * DESIGN "TOTP / HOTP", including what the token profile can hold
 * (Nitrokey Pro/Storage: SHA1, ≤ 40 bytes). Violations name fields relative
 * to the spec (`digits`, `secret`, `counter`, `algorithm`).
 */
export function resolveHotpSpec(input: HotpSpecInput): { ok: true; spec: HotpSpec } | { ok: false; violations: FieldViolation[] } {
  const violations: FieldViolation[] = [];
  const algorithm = input.algorithm ?? "SHA1";
  const digits = input.digits === 0 ? 6 : input.digits;
  if (digits !== 6 && digits !== 8) violations.push({ field: "digits", description: "must be 6 or 8 (0 means 6)" });
  const n = input.secret.length;
  violations.push(...importedSecretViolations(n));
  if (input.counter < 0n || input.counter > BigInt(MAX_HOTP_COUNTER)) {
    violations.push({ field: "counter", description: `must be 0-${MAX_HOTP_COUNTER}` });
  }
  // Ensure the chosen token can hold the spec.
  violations.push(...tokenProfileViolations(input.tokenProfile, algorithm, n));
  if (violations.length > 0) return { ok: false, violations };
  return {
    ok: true,
    spec: {
      algorithm,
      digits: digits as OtpDigits,
      importedSecret: n === 0 ? undefined : input.secret,
      counter: Number(input.counter),
      issuer: input.issuer,
      accountName: input.accountName,
      tokenProfile: input.tokenProfile,
    },
  };
}
