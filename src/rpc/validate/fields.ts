import { isIP } from "node:net";
import type { FieldViolation } from "../../domain/errors.js";
import { userIdProblem } from "../../domain/user-id.js";

/**
 * Field checks shared by the request validators. Each pushes a violation
 * naming the proto field (snake_case, dotted) and never echoes the value:
 * a bad field may hold a code or a secret.
 */
export type Violations = FieldViolation[];

/**
 * Bounds of caller-supplied strings: big enough for real values, small enough
 * to refuse abuse early. Issuer and account name are bounded so that the
 * worst otpauth URI (issuer twice, every character percent-encoded from 4
 * UTF-8 bytes) still fits a QR code (2331 bytes at level M).
 */
export const MAX_ISSUER_CHARS = 32;
export const MAX_ACCOUNT_NAME_CHARS = 64;
export const MAX_CLIENT_IP_CHARS = 64;

// Control characters, and U+FFFD: protobuf decoding turns invalid UTF-8 into
// U+FFFD, so seeing one means the caller sent bytes that were not UTF-8.
const CONTROL_OR_REPLACEMENT = /[\p{Cc}\uFFFD]/u;
const LONE_SURROGATE = /\p{Cs}/u;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const OTP_CODE = /^(?:[0-9]{6}|[0-9]{8})$/;

function textProblem(value: string): string | undefined {
  if (CONTROL_OR_REPLACEMENT.test(value) || LONE_SURROGATE.test(value)) {
    return "must be valid UTF-8 without control characters";
  }
  return undefined;
}

/** user_id: the caller's opaque string (userIdProblem says the rule). */
export function checkUserId(v: Violations, field: string, value: string): void {
  const problem = userIdProblem(value);
  if (problem !== undefined) v.push({ field, description: problem });
}

/** Text shown to users (labels, issuer, account name): bounded in characters, printable. */
export function checkText(
  v: Violations,
  field: string,
  value: string,
  opts: { min: number; max: number; noColon?: boolean },
): void {
  const chars = [...value].length;
  if (chars < opts.min || chars > opts.max) {
    v.push({ field, description: opts.min > 0 ? `must be ${opts.min}-${opts.max} characters` : `must be at most ${opts.max} characters` });
    return;
  }
  const problem = textProblem(value);
  if (problem !== undefined) {
    v.push({ field, description: problem });
    return;
  }
  // The otpauth label is "issuer:account"; a colon in either part is ambiguous (Key URI format).
  if (opts.noColon === true && value.includes(":")) v.push({ field, description: "must not contain ':'" });
}

/** Ids twofold issues are UUIDs. `optional` admits the empty string. */
export function checkUuid(v: Violations, field: string, value: string, optional = false): void {
  if (optional && value === "") return;
  if (!UUID.test(value)) v.push({ field, description: "must be a UUID" });
}

/** An OTP code: 6 or 8 ASCII digits. */
export function checkOtpCode(v: Violations, field: string, value: string): void {
  if (!OTP_CODE.test(value)) v.push({ field, description: "must be 6 or 8 digits" });
}

/** client_ip: empty, or an IPv4/IPv6 address. */
export function checkClientIp(v: Violations, field: string, value: string): void {
  if (value === "") return;
  if (value.length > MAX_CLIENT_IP_CHARS || isIP(value) === 0) v.push({ field, description: "must be an IP address or empty" });
}

/** A proto3 enum field: open enums carry unknown numbers through decoding, so check membership. */
export function checkEnum(v: Violations, field: string, value: number, known: readonly number[]): void {
  if (!known.includes(value)) v.push({ field, description: "unknown enum value" });
}

/** A oneof that must be set. */
export function checkOneofSet(v: Violations, field: string, theCase: string | undefined): void {
  if (theCase === undefined) v.push({ field, description: "must be set" });
}
