import { createHmac } from "node:crypto";

/** The hash functions RFC 6238 allows; the Nitrokey firmwares implement SHA1 only. */
export type OathAlgorithm = "SHA1" | "SHA256" | "SHA512";

/**
 * RFC 4226 §5.3 HOTP with RFC 6238's hash choice. Generic on purpose: the
 * Nitrokey profiles refuse SHA256/512, but the RFC vectors for them are
 * checked with this same computation.
 */
export function oathCode(
  secret: Uint8Array,
  counter: bigint,
  digits: number,
  algorithm: OathAlgorithm = "SHA1",
): string {
  if (!Number.isInteger(digits) || digits < 1 || digits > 10) {
    throw new RangeError("digits must be an integer from 1 to 10");
  }
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt.asUintN(64, counter));
  const mac = createHmac(algorithm.toLowerCase(), secret).update(message).digest();
  // Dynamic truncation (RFC 4226 §5.4).
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary =
    ((mac[offset]! & 0x7f) << 24) |
    (mac[offset + 1]! << 16) |
    (mac[offset + 2]! << 8) |
    mac[offset + 3]!;
  const modulus = 10 ** digits;
  return String(binary % modulus).padStart(digits, "0");
}

/** RFC 6238 §4.2: the time step counter T = floor((unixTime − T0) / X), T0 = 0. */
export function totpCounter(unixSeconds: number, periodSeconds: number): bigint {
  return BigInt(Math.floor(unixSeconds / periodSeconds));
}

/** RFC 6238 TOTP at a Unix time, for checking tokens and vectors. */
export function totpCode(
  secret: Uint8Array,
  unixSeconds: number,
  periodSeconds: number,
  digits: number,
  algorithm: OathAlgorithm = "SHA1",
): string {
  return oathCode(secret, totpCounter(unixSeconds, periodSeconds), digits, algorithm);
}
