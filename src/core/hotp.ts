import { createHmac } from "node:crypto";
import { HmacSha1Counter } from "./hmac-sha1.js";

/** The HMACs RFC 4226 and RFC 6238 allow; names as stored in the factors table. */
export type OtpAlgorithm = "SHA1" | "SHA256" | "SHA512";

/** Code lengths twofold accepts (RFC 4226 §5.3 allows 6 to 8; apps and tokens use 6 or 8). */
export type OtpDigits = 6 | 8;

const HMAC_NAME: Record<OtpAlgorithm, string> = { SHA1: "sha1", SHA256: "sha256", SHA512: "sha512" };
const MODULUS: Record<OtpDigits, number> = { 6: 1_000_000, 8: 100_000_000 };
const TWO_32 = 0x1_0000_0000;

/**
 * How much work the core has done. The constant-work guarantee (same number
 * of HMACs and compares whether or not a code matches, and for unknown users)
 * is tested and benchmarked by reading these counters; incrementing two
 * integers costs nothing measurable.
 */
export const coreCounters = { hmacs: 0, compares: 0 };

// One 8-byte counter buffer reused by every call: verification is synchronous,
// so no two calls can interleave on it.
const counterBuf = Buffer.alloc(8);

/**
 * RFC 4226 §5.3 with node:crypto: HMAC over the 8-byte big-endian counter,
 * then dynamic truncation to a 31-bit integer.
 */
function nodeHotpValue(key: Uint8Array, algorithm: OtpAlgorithm, counter: number): number {
  counterBuf.writeUInt32BE(Math.floor(counter / TWO_32), 0);
  counterBuf.writeUInt32BE(counter % TWO_32, 4);
  const h = createHmac(HMAC_NAME[algorithm], key).update(counterBuf).digest();
  // Dynamic truncation: the low nibble of the last byte picks 4 bytes (RFC 4226 §5.4).
  const o = (h[h.length - 1] as number) & 0x0f;
  return (
    (((h[o] as number) & 0x7f) << 24) |
    ((h[o + 1] as number) << 16) |
    ((h[o + 2] as number) << 8) |
    (h[o + 3] as number)
  );
}

/**
 * A key prepared for the many HMACs of one verification: `value(counter)` is
 * the counter's HMAC truncated to a 31-bit integer (before the modulo, so
 * callers reduce it to 6 or 8 digits without a string); `wipe()` zeroes what
 * was derived from the key. SHA-1, the algorithm of nearly every token and
 * app, runs on precomputed pad blocks (hmac-sha1.ts); SHA-256 and SHA-512
 * call node:crypto per counter.
 */
export interface PreparedHotpKey {
  value(counter: number): number;
  wipe(): void;
}

export function prepareHotpKey(key: Uint8Array, algorithm: OtpAlgorithm): PreparedHotpKey {
  if (algorithm === "SHA1") {
    const hmac = new HmacSha1Counter(key);
    return {
      value(counter) {
        coreCounters.hmacs++;
        return hmac.truncated(Math.floor(counter / TWO_32), counter % TWO_32);
      },
      wipe: () => hmac.wipe(),
    };
  }
  return {
    value(counter) {
      coreCounters.hmacs++;
      return nodeHotpValue(key, algorithm, counter);
    },
    wipe() {},
  };
}

/** One counter's truncated HMAC (prepareHotpKey for one counter). */
export function hotpValue(key: Uint8Array, algorithm: OtpAlgorithm, counter: number): number {
  const prepared = prepareHotpKey(key, algorithm);
  try {
    return prepared.value(counter);
  } finally {
    prepared.wipe();
  }
}

/** Writes `value mod 10^digits` as zero-padded ASCII digits into `out[0..digits)`. */
export function writeCode(value: number, digits: OtpDigits, out: Buffer): void {
  let n = value % MODULUS[digits];
  for (let i = digits - 1; i >= 0; i--) {
    out[i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
}

/** The HOTP code for one counter value, as a string (enrolment checks, tests, emulators). */
export function hotpCode(key: Uint8Array, algorithm: OtpAlgorithm, counter: number, digits: OtpDigits): string {
  const out = Buffer.alloc(digits);
  writeCode(hotpValue(key, algorithm, counter), digits, out);
  return out.toString("latin1");
}

/**
 * Loads a code sent by a caller into `out[0..digits)` in the same steps
 * whatever its length (a wrong length is caught by the returned flag, which
 * callers fold into every comparison), so neither the length nor the digits
 * change the work: the timing test (twofold-bench timing) compares a
 * wrong-length code with a right-length one.
 */
export function loadCode(code: string, digits: OtpDigits, out: Buffer): boolean {
  out.fill(0);
  out.write(code, 0, digits, "latin1");
  return code.length === digits;
}
