/**
 * The shape of app passwords (docs/design.md "App passwords"): 25 Crockford base32
 * symbols shown as 5 groups of 5, a device name, scopes, an optional lifetime.
 */
export const APP_PASSWORD_SYMBOLS = 25;
export const APP_PASSWORD_GROUP = 5;
/** The pepper purpose that domain-separates app password hashes from other keyed hashes. */
export const APP_PASSWORD_HASH_PURPOSE = "app-password";
/** Live (neither revoked nor expired) app passwords a user may hold. */
export const MAX_LIVE_APP_PASSWORDS = 100;
export const MAX_NAME_CHARS = 64;
export const MAX_SCOPES = 16;
export const MIN_TTL_MS = 60_000;
/** Ten Julian years (365.25 days each). */
export const MAX_TTL_MS = 10 * 365.25 * 24 * 3600 * 1000;

const SCOPE = /^[a-z0-9._:-]{1,64}$/;

/** Whether `scope` is a well-formed scope name: 1..64 of [a-z0-9._:-]. */
export function isScope(scope: string): boolean {
  return SCOPE.test(scope);
}
