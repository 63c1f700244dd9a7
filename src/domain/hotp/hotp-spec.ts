import type { OtpAlgorithm, OtpDigits } from "../../core/index.js";
import type { FieldViolation } from "../errors.js";
import type { TokenProfile } from "../factors/factor.js";
import { MAX_IMPORTED_SECRET_BYTES, MIN_IMPORTED_SECRET_BYTES, NITROKEY_MAX_SECRET_BYTES } from "../totp/totp-spec.js";

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

/** Whether a profile is a hardware OATH token with Nitrokey's limits. */
export function isNitrokeyProfile(p: TokenProfile): boolean {
  return p === "nitrokey_pro" || p === "nitrokey_storage";
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
  if (n !== 0 && (n < MIN_IMPORTED_SECRET_BYTES || n > MAX_IMPORTED_SECRET_BYTES)) {
    violations.push({
      field: "secret",
      description: `an imported secret must be ${MIN_IMPORTED_SECRET_BYTES}-${MAX_IMPORTED_SECRET_BYTES} bytes (empty to generate one)`,
    });
  }
  if (input.counter < 0n || input.counter > BigInt(MAX_HOTP_COUNTER)) {
    violations.push({ field: "counter", description: `must be 0-${MAX_HOTP_COUNTER}` });
  }
  // Ensure the chosen token can hold the spec.
  if (isNitrokeyProfile(input.tokenProfile)) {
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
      importedSecret: n === 0 ? undefined : input.secret,
      counter: Number(input.counter),
      issuer: input.issuer,
      accountName: input.accountName,
      tokenProfile: input.tokenProfile,
    },
  };
}
