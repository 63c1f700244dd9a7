import { invalidArgument, type FieldViolation } from "../errors.js";

const MAX_USER_ID_BYTES = 256;

/**
 * The problem with a user_id, if any. A user_id is the caller's opaque string
 * (DESIGN "Callers, tenants, roles"): 1–256 bytes of UTF-8, no control
 * characters, and no U+FFFD, which is what invalid UTF-8 on the wire decodes
 * to, so two different byte strings cannot collapse into one user.
 */
export function userIdProblem(userId: string): string | undefined {
  const bytes = Buffer.byteLength(userId, "utf8");
  if (bytes < 1 || bytes > MAX_USER_ID_BYTES) return `must be 1-${MAX_USER_ID_BYTES} bytes of UTF-8`;
  if (/[\p{Cc}\uFFFD]/u.test(userId)) return "must not contain control characters or U+FFFD";
  if (/\p{Cs}/u.test(userId)) return "must be valid UTF-8";
  return undefined;
}

/** Collects a user_id violation under `field` (for requests that report several fields at once). */
export function checkUserId(userId: string, violations: FieldViolation[], field = "user_id"): void {
  const problem = userIdProblem(userId);
  if (problem !== undefined) violations.push({ field, description: problem });
}

/** Throws INVALID_ARGUMENT naming `field` unless `userId` is a valid user_id. */
export function assertUserId(userId: string, field = "user_id"): void {
  const violations: FieldViolation[] = [];
  checkUserId(userId, violations, field);
  if (violations.length > 0) throw invalidArgument(violations);
}
