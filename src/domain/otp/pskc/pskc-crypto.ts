import { createDecipheriv, createHmac, timingSafeEqual } from "node:crypto";
import { PskcError } from "./pskc-error.js";

/** XML Encryption block ciphers RFC 6030 §6.1 names, with their key length. */
const CIPHERS: Record<string, { name: string; keyBytes: number }> = {
  "http://www.w3.org/2001/04/xmlenc#aes128-cbc": { name: "aes-128-cbc", keyBytes: 16 },
  "http://www.w3.org/2001/04/xmlenc#aes192-cbc": { name: "aes-192-cbc", keyBytes: 24 },
  "http://www.w3.org/2001/04/xmlenc#aes256-cbc": { name: "aes-256-cbc", keyBytes: 32 },
};

/** MAC algorithms for ValueMAC (RFC 6030 §6.1.1). */
const MACS: Record<string, string> = {
  "http://www.w3.org/2000/09/xmldsig#hmac-sha1": "sha1",
  "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256": "sha256",
  "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512": "sha512",
};

/** Whether twofold can decrypt this EncryptionMethod. */
export function isKnownCipher(algorithm: string): boolean {
  return CIPHERS[algorithm] !== undefined;
}

/** Whether twofold can check this MACMethod. */
export function isKnownMac(algorithm: string): boolean {
  return MACS[algorithm] !== undefined;
}

/**
 * Decrypts an XML Encryption CipherValue: the IV is the first block,
 * then the ciphertext, with PKCS#7 padding (W3C XML Encryption §5.2). A wrong
 * key almost always shows as bad padding; the caller's MAC check catches the rest.
 */
export function decryptCipherValue(algorithm: string, key: Uint8Array, cipherValue: Buffer, what: string): Buffer {
  const cipher = CIPHERS[algorithm];
  if (cipher === undefined) throw new PskcError(`${what}: unsupported encryption algorithm`);
  if (key.length !== cipher.keyBytes) throw new PskcError(`${what}: the pre-shared key must be ${cipher.keyBytes} bytes for this algorithm`);
  if (cipherValue.length < 32 || cipherValue.length % 16 !== 0) throw new PskcError(`${what}: malformed encrypted value`);
  try {
    const d = createDecipheriv(cipher.name, key, cipherValue.subarray(0, 16));
    return Buffer.concat([d.update(cipherValue.subarray(16)), d.final()]);
  } catch {
    throw new PskcError(`${what}: cannot decrypt (wrong pre-shared key?)`);
  }
}

/** Checks a ValueMAC: HMAC over the whole CipherValue (IV ‖ ciphertext), compared in constant time. */
export function checkValueMac(algorithm: string, macKey: Uint8Array, cipherValue: Buffer, mac: Buffer, what: string): void {
  const hash = MACS[algorithm];
  if (hash === undefined) throw new PskcError(`${what}: unsupported MAC algorithm`);
  const expected = createHmac(hash, macKey).update(cipherValue).digest();
  if (expected.length !== mac.length || !timingSafeEqual(expected, mac)) {
    throw new PskcError(`${what}: MAC mismatch (tampered file or wrong pre-shared key)`);
  }
}
