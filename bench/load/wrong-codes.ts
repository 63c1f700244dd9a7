/**
 * Wrong proofs that are verified wrong before they are sent: a code that
 * matches no step or counter anywhere the service searches (and a margin
 * beyond), a backup code that is none of the user's list, an app password
 * that is not theirs. A "wrong" login that happened to be right would be
 * counted as a service error, so none is left to chance.
 */
import { randomInt } from "node:crypto";
import { oathCode } from "../../emulator/index.js";

/**
 * Steps either side of the current one a wrong TOTP code must not match:
 * the service computes ±10 around the learned drift (resync memory), the
 * drift of a token read at a step boundary is at most a step or two, and a
 * request may cross a boundary. ±16 covers all of it.
 */
export const TOTP_EXCLUDED_STEPS = 16;
/** Counters behind and ahead of the token's a wrong HOTP code must not match (the service looks 10 back, 1000 ahead). */
export const HOTP_EXCLUDED_BEHIND = 20;
export const HOTP_EXCLUDED_AHEAD = 1020;

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function randomDigits(digits: number): string {
  let out = "";
  for (let i = 0; i < digits; i++) out += String(randomInt(10));
  return out;
}

/** A code that is no code of `secret` within ±TOTP_EXCLUDED_STEPS of `step`. */
export function wrongTotpCode(secret: Uint8Array, step: number, digits = 6): string {
  const taken = new Set<string>();
  for (let s = step - TOTP_EXCLUDED_STEPS; s <= step + TOTP_EXCLUDED_STEPS; s++) taken.add(oathCode(secret, BigInt(Math.max(0, s)), digits));
  return pickOutside(taken, () => randomDigits(digits));
}

/** A code that is no code of `secret` for counters around `counter` (the token's next counter). */
export function wrongHotpCode(secret: Uint8Array, counter: number, digits = 6): string {
  const taken = new Set<string>();
  for (let c = Math.max(0, counter - HOTP_EXCLUDED_BEHIND); c <= counter + HOTP_EXCLUDED_AHEAD; c++) taken.add(oathCode(secret, BigInt(c), digits));
  return pickOutside(taken, () => randomDigits(digits));
}

/** The canonical form of a Crockford code as the service normalises it (case, dashes, O/0, I/L/1). */
export function crockfordCanonical(code: string): string {
  return code.toUpperCase().replace(/[ -]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
}

function randomCrockford(symbols: number, group: number): string {
  let out = "";
  for (let i = 0; i < symbols; i++) {
    if (i > 0 && i % group === 0) out += "-";
    out += CROCKFORD[randomInt(CROCKFORD.length)];
  }
  return out;
}

/** A well-formed backup code (16 symbols, 4 groups) that is none of `issued`. */
export function wrongBackupCode(issued: readonly string[]): string {
  return pickOutside(new Set(issued.map(crockfordCanonical)), () => randomCrockford(16, 4), crockfordCanonical);
}

/** A well-formed app password (25 symbols, 5 groups) that is not `password`. */
export function wrongAppPassword(password: string): string {
  return pickOutside(new Set([crockfordCanonical(password)]), () => randomCrockford(25, 5), crockfordCanonical);
}

function pickOutside(taken: ReadonlySet<string>, draw: () => string, canonical: (s: string) => string = (s) => s): string {
  for (;;) {
    const candidate = draw();
    if (!taken.has(canonical(candidate))) return candidate;
  }
}
