import { isIP } from "node:net";
import type { FieldViolation } from "../domain/errors.js";

/**
 * Minimal request checks for the backup code and app password handlers, used
 * until the shared validation helpers exist. Each returns the violation for
 * one field (named as in the proto) or undefined, so a handler can collect
 * every bad field into one INVALID_ARGUMENT.
 */

/** Control characters, line/paragraph separators, and lone surrogates (which no UTF-8 can carry). */
const CONTROL = /[\p{Cc}\p{Cs}\u2028\u2029]/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * user_id is the caller's opaque string: 1..256 bytes of UTF-8 without control
 * characters. U+FFFD is refused too, since it is what invalid UTF-8 on the wire
 * decodes to, and two different byte strings would otherwise name one user.
 */
export function userIdViolation(field: string, userId: string): FieldViolation | undefined {
  const bytes = Buffer.byteLength(userId, "utf8");
  if (bytes === 0) return { field, description: "must not be empty" };
  if (bytes > 256) return { field, description: "must be at most 256 bytes of UTF-8" };
  if (CONTROL.test(userId) || userId.includes("\uFFFD")) return { field, description: "must not contain control characters or U+FFFD" };
  return undefined;
}

/** Ids we issue are UUIDs; anything else cannot name one of them. */
export function uuidViolation(field: string, id: string): FieldViolation | undefined {
  return UUID.test(id) ? undefined : { field, description: "must be a UUID" };
}

/** An end user's address as reported by the caller: empty, or an IPv4/IPv6 literal. */
export function clientIpViolation(field: string, ip: string): FieldViolation | undefined {
  if (ip === "") return undefined;
  return ip.length <= 64 && isIP(ip) !== 0 ? undefined : { field, description: "must be an IPv4 or IPv6 address" };
}

/** The violations that are present, in order. */
export function present(...vs: (FieldViolation | undefined)[]): FieldViolation[] {
  return vs.filter((v): v is FieldViolation => v !== undefined);
}

/** Longest backup code input evaluated (a code is 19 characters with dashes; room for spaces). */
export const MAX_BACKUP_CODE_INPUT_CHARS = 64;

/**
 * Verify's `backup_code.code`: only empty, oversized or control-character
 * input is bad input. Anything else is evaluated, and a well-formed wrong code
 * is an ordinary WRONG_CODE outcome, not an error.
 */
export function backupCodeProofViolation(field: string, code: string): FieldViolation | undefined {
  if (code === "") return { field, description: "must not be empty" };
  if (code.length > MAX_BACKUP_CODE_INPUT_CHARS) return { field, description: `must be at most ${MAX_BACKUP_CODE_INPUT_CHARS} characters` };
  if (CONTROL.test(code) || code.includes("\uFFFD")) return { field, description: "must not contain control characters or U+FFFD" };
  return undefined;
}
