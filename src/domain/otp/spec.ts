import type { OtpAlgorithm, OtpDigits, TotpPeriod } from "../../core/index.js";
import type { FieldViolation } from "../errors.js";
import type { TokenProfile } from "../factors/index.js";

/**
 * The one set of rules for TOTP and HOTP specs (docs/design.md "TOTP and
 * HOTP"), used by the RPC validation, by enrolment and by the PSKC import,
 * so the three can never drift apart again.
 */

/** Bytes of a server-generated secret (RFC 4226 §4 recommends 160 bits). */
export const GENERATED_SECRET_BYTES = 20;
/** Bounds of an imported secret. */
export const MIN_IMPORTED_SECRET_BYTES = 16;
/** Longer secrets add nothing over SHA512's block and only bloat the QR code. */
export const MAX_IMPORTED_SECRET_BYTES = 64;
/** Nitrokey Pro and Storage OATH slots hold HMAC-SHA1 secrets of at most 40 bytes. */
export const NITROKEY_MAX_SECRET_BYTES = 40;
/**
 * The highest starting HOTP counter accepted: every counter the service may
 * ever compute (start + resync range, many times over) must stay an exact
 * integer in a JavaScript number and a Postgres bigint.
 */
export const MAX_HOTP_COUNTER = 2 ** 48;

/** A spec as a caller asked for it; zero values mean the defaults. */
export interface OtpSpecInput {
  kind: "totp" | "hotp";
  /** Undefined means SHA1. */
  algorithm: OtpAlgorithm | undefined;
  /** 0 means 6. */
  digits: number;
  /** TOTP: 0 means 30. Ignored for HOTP. */
  periodSeconds: number;
  /** Empty means generate one. */
  secret: Uint8Array;
  /** HOTP: the counter the token shows first. Ignored for TOTP. */
  counter: bigint;
  issuer: string;
  accountName: string;
  tokenProfile: TokenProfile;
}

/** A spec with every default applied and every rule checked. */
export interface OtpSpec {
  kind: "totp" | "hotp";
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  /** TOTP's step length; 30 for HOTP (unused). */
  periodSeconds: TotpPeriod;
  /** HOTP's starting counter; 0 for TOTP. */
  counter: number;
  /** Undefined: the service generates the secret. */
  importedSecret: Uint8Array | undefined;
  issuer: string;
  accountName: string;
  tokenProfile: TokenProfile;
}

/** Whether a profile is a hardware OATH token with Nitrokey's limits. */
export function isNitrokeyProfile(p: TokenProfile): boolean {
  return p === "nitrokey_pro" || p === "nitrokey_storage";
}

/**
 * Applies the defaults (SHA1, 6 digits, 30 s, counter 0) and checks every
 * rule: digits 6 or 8, period 30 or 60, an imported secret of 16–64 bytes,
 * a counter within range, and what the chosen token can hold (Nitrokey
 * Pro/Storage: SHA1 only, secrets up to 40 bytes). Violations name fields
 * relative to the spec (`digits`, `period_seconds`, `secret`, `counter`,
 * `algorithm`), in that order.
 */
export function resolveOtpSpec(input: OtpSpecInput): { ok: true; spec: OtpSpec } | { ok: false; violations: FieldViolation[] } {
  const violations: FieldViolation[] = [];
  const totp = input.kind === "totp";
  const algorithm = input.algorithm ?? "SHA1";
  const digits = input.digits === 0 ? 6 : input.digits;
  const period = !totp || input.periodSeconds === 0 ? 30 : input.periodSeconds;
  if (digits !== 6 && digits !== 8) violations.push({ field: "digits", description: "must be 6 or 8 (0 means 6)" });
  if (period !== 30 && period !== 60) violations.push({ field: "period_seconds", description: "must be 30 or 60 (0 means 30)" });
  const n = input.secret.length;
  if (n !== 0 && (n < MIN_IMPORTED_SECRET_BYTES || n > MAX_IMPORTED_SECRET_BYTES)) {
    violations.push({
      field: "secret",
      description: `an imported secret must be ${MIN_IMPORTED_SECRET_BYTES}-${MAX_IMPORTED_SECRET_BYTES} bytes (empty to generate one)`,
    });
  }
  if (!totp && (input.counter < 0n || input.counter > BigInt(MAX_HOTP_COUNTER))) {
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
      kind: input.kind,
      algorithm,
      digits: digits as OtpDigits,
      periodSeconds: period as TotpPeriod,
      counter: totp ? 0 : Number(input.counter),
      importedSecret: n === 0 ? undefined : input.secret,
      issuer: input.issuer,
      accountName: input.accountName,
      tokenProfile: input.tokenProfile,
    },
  };
}
