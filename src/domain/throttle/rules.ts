/**
 * docs/design.md "Login flow": after FREE_FAILURES consecutive failures each attempt
 * waits min(2^(n−5) s, 15 min). No permanent lockout: a lockout would let
 * anyone who knows a user id lock that user out.
 */
export const FREE_FAILURES = 5;
/** The longest wait: long enough to make guessing hopeless, short enough not to be a lockout. */
export const MAX_WAIT_MS = 15 * 60 * 1000;

/** The wait imposed after `failures` consecutive failures (0 below the free allowance). */
export function waitAfterFailures(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(2 ** Math.min(failures - FREE_FAILURES, 20) * 1000, MAX_WAIT_MS);
}
