import { hotpCode, type OtpAlgorithm, type OtpDigits } from "./hotp.js";

/** TOTP periods twofold accepts, seconds. */
export type TotpPeriod = 30 | 60;

/** RFC 6238 §4.2: the time step of a Unix time, T0 = 0. */
export function totpStep(unixSeconds: number, period: TotpPeriod): number {
  return Math.floor(unixSeconds / period);
}

/** The TOTP code at a Unix time (tests, emulators, enrolment examples). */
export function totpCode(
  key: Uint8Array,
  algorithm: OtpAlgorithm,
  digits: OtpDigits,
  period: TotpPeriod,
  unixSeconds: number,
): string {
  return hotpCode(key, algorithm, totpStep(unixSeconds, period), digits);
}
