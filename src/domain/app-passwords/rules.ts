import type { FieldViolation } from "../errors.js";

/**
 * The shape of app passwords (DESIGN.md "App passwords"): 25 Crockford base32
 * symbols shown as 5 groups of 5, a device name, scopes, an optional lifetime.
 */
export const APP_PASSWORD_SYMBOLS = 25;
export const APP_PASSWORD_GROUP = 5;
export const APP_PASSWORD_HASH_PURPOSE = "app-password";
/** Live (neither revoked nor expired) app passwords a user may hold. */
export const MAX_LIVE_APP_PASSWORDS = 100;
export const MAX_NAME_CHARS = 64;
export const MAX_SCOPES = 16;
export const MIN_TTL_MS = 60_000;
/** Ten Julian years (365.25 days each). */
export const MAX_TTL_MS = 10 * 365.25 * 24 * 3600 * 1000;
/** Longest typed password accepted for evaluation; anything longer is a malformed request. */
export const MAX_PASSWORD_INPUT_CHARS = 128;

const SCOPE = /^[a-z0-9._:-]{1,64}$/;
/** Control characters, line/paragraph separators, and lone surrogates (which no UTF-8 can carry). */
const CONTROL = /[\p{Cc}\p{Cs}\u2028\u2029]/u;

/** A device name is 1..64 characters of printable text (not only spaces). */
export function nameViolation(field: string, name: string): FieldViolation | undefined {
  const chars = [...name].length;
  if (name.trim() === "") return { field, description: "must not be empty" };
  if (chars > MAX_NAME_CHARS) return { field, description: `must be at most ${MAX_NAME_CHARS} characters` };
  if (CONTROL.test(name) || name.includes("\uFFFD")) return { field, description: "must not contain control characters or U+FFFD" };
  return undefined;
}

/** Whether `scope` is a well-formed scope name: 1..64 of [a-z0-9._:-]. */
export function isScope(scope: string): boolean {
  return SCOPE.test(scope);
}

/**
 * Checks a scope list (1..16 well-formed names) and returns it deduplicated in
 * first-seen order, or the violations naming each bad entry (`scopes[2]`).
 */
export function checkScopes(field: string, scopes: readonly string[]): { scopes: string[]; violations: FieldViolation[] } {
  const violations: FieldViolation[] = [];
  if (scopes.length === 0) violations.push({ field, description: "must name at least one scope" });
  if (scopes.length > MAX_SCOPES) violations.push({ field, description: `must name at most ${MAX_SCOPES} scopes` });
  scopes.forEach((s, i) => {
    if (!isScope(s)) violations.push({ field: `${field}[${i}]`, description: "must be 1 to 64 characters of a-z 0-9 . _ : -" });
  });
  return { scopes: [...new Set(scopes)], violations };
}

/** A lifetime must be between one minute and ten years. */
export function ttlViolation(field: string, ttlMs: number): FieldViolation | undefined {
  if (!Number.isFinite(ttlMs) || ttlMs < MIN_TTL_MS || ttlMs > MAX_TTL_MS) {
    return { field, description: "must be between 1 minute and 10 years" };
  }
  return undefined;
}

/** A typed password must be present, of sane length and free of control characters before it is evaluated. */
export function passwordViolation(field: string, password: string): FieldViolation | undefined {
  if (password === "") return { field, description: "must not be empty" };
  if (password.length > MAX_PASSWORD_INPUT_CHARS) return { field, description: `must be at most ${MAX_PASSWORD_INPUT_CHARS} characters` };
  if (CONTROL.test(password) || password.includes("\uFFFD")) return { field, description: "must not contain control characters or U+FFFD" };
  return undefined;
}
