import { hotpCode, type OtpAlgorithm, type OtpDigits, type TotpPeriod } from "../../src/core/index.js";

/** A TOTP secret as a token holds it. */
export interface TotpSecret {
  secretHex: string;
  algorithm?: OtpAlgorithm;
  digits?: OtpDigits;
  period?: TotpPeriod;
}

/** An HOTP secret and the next counter the service expects for it. */
export interface HotpSecret {
  secretHex: string;
  algorithm?: OtpAlgorithm;
  digits?: OtpDigits;
  counter: number;
}

/**
 * TOTP steps either side of "now" checked: the service searches ±10 steps
 * around a factor's learned drift; ±40 covers any drift a test teaches.
 */
const TOTP_STEPS = 40;
/** HOTP counters checked: 10 behind, then the look-ahead and the 1,000-counter resync range, with slack. */
const HOTP_BEHIND = 10;
const HOTP_AHEAD = 1_100;

/**
 * A code that none of the given secrets shows anywhere the service looks at
 * `at` (TOTP within ±40 steps, HOTP from 10 behind to 1,100 ahead of the
 * expected counter), so a test's "wrong code" is wrong on every run and for
 * every secret. A code made by arithmetic on the right one (right + 1) is
 * right somewhere in an HOTP search about once in a thousand secrets.
 *
 * The first such code counting up from 000000 (or from `after` + 1, for a
 * code that looks like a real one, e.g. where a test searches logs for it) is
 * returned, so it is the same for the same secrets.
 */
export function codeMatchingNone(opts: {
  at: Date;
  digits?: OtpDigits;
  totp?: readonly TotpSecret[];
  hotp?: readonly HotpSecret[];
  after?: string;
}): string {
  const digits = opts.digits ?? 6;
  const shown = new Set<string>();
  const seconds = Math.floor(opts.at.getTime() / 1000);
  for (const t of opts.totp ?? []) {
    const key = Buffer.from(t.secretHex, "hex");
    const step = Math.floor(seconds / (t.period ?? 30));
    for (let s = Math.max(0, step - TOTP_STEPS); s <= step + TOTP_STEPS; s++) shown.add(hotpCode(key, t.algorithm ?? "SHA1", s, digits));
  }
  for (const h of opts.hotp ?? []) {
    const key = Buffer.from(h.secretHex, "hex");
    for (let c = Math.max(0, h.counter - HOTP_BEHIND); c <= h.counter + HOTP_AHEAD; c++) shown.add(hotpCode(key, h.algorithm ?? "SHA1", c, digits));
  }
  const modulus = 10 ** digits;
  const start = opts.after === undefined ? 0 : Number(opts.after) + 1;
  for (let i = 0; i < modulus; i++) {
    const candidate = String((start + i) % modulus).padStart(digits, "0");
    if (!shown.has(candidate)) return candidate;
  }
  throw new Error("every code is shown somewhere (cannot happen)");
}

/** A TOTP code `secretHex` (SHA1, 6 digits, 30 s unless said) does not show within ±40 steps of `at`. */
export function wrongTotpCode(secretHex: string, at: Date, opts: Omit<TotpSecret, "secretHex"> = {}): string {
  return codeMatchingNone({ at, digits: opts.digits ?? 6, totp: [{ secretHex, ...opts }] });
}
