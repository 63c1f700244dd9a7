/** A user_id is at most this many bytes of UTF-8. */
export const MAX_USER_ID_BYTES = 256;

/**
 * The one rule for a user_id, the caller's opaque string (docs/design.md
 * "Callers, tenants, roles"): 1–256 bytes of UTF-8, no control characters,
 * no lone surrogate, and no U+FFFD, which is what invalid UTF-8 on the wire
 * decodes to, so two different byte strings cannot collapse into one user.
 * Used by the request validators and the PSKC import alike.
 */
export function userIdProblem(userId: string): string | undefined {
  const bytes = Buffer.byteLength(userId, "utf8");
  if (bytes < 1 || bytes > MAX_USER_ID_BYTES) return `must be 1-${MAX_USER_ID_BYTES} bytes of UTF-8`;
  if (/[\p{Cc}\uFFFD\p{Cs}]/u.test(userId)) return "must be valid UTF-8 without control characters";
  return undefined;
}
