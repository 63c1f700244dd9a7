import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";
import { randomPooled } from "./random-pool.js";
import type { KeyringKey } from "../config/config.js";
import type { Keyring } from "./keyring.js";

/** Format version of sealed values; bump if the layout below changes. */
const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** A sealed value that does not open: wrong key, wrong associated data or tampered bytes. */
export class KeyringError extends Error {
  override readonly name = "KeyringError";
}

/**
 * The AES-256-GCM keyring. Sealed layout:
 * version (1 byte) ‖ key id length (1 byte) ‖ key id (UTF-8) ‖ nonce (12) ‖ ciphertext ‖ tag (16).
 * The first key seals; any configured key opens, so keys can be added before
 * `twofold keys rotate` re-seals old rows and the old key is retired.
 */
export function createKeyring(keys: readonly KeyringKey[], pepper: Buffer): Keyring {
  const first = keys[0];
  if (first === undefined) throw new KeyringError("the keyring needs at least one key");
  const byId = new Map<string, Buffer>();
  for (const k of keys) {
    if (k.key.length !== KEY_BYTES) throw new KeyringError(`key ${k.id} is not ${KEY_BYTES} bytes`);
    const idLen = Buffer.byteLength(k.id, "utf8");
    if (idLen === 0 || idLen > 255) throw new KeyringError("a key id must be 1..255 bytes");
    if (byId.has(k.id)) throw new KeyringError(`key id ${k.id} appears twice`);
    byId.set(k.id, Buffer.from(k.key));
  }
  if (pepper.length < KEY_BYTES) throw new KeyringError(`the pepper must be at least ${KEY_BYTES} bytes`);
  const pepperCopy = Buffer.from(pepper);
  const purposeKeys = new Map<string, Buffer>();

  function parse(sealed: Uint8Array): { keyId: string; nonce: Buffer; body: Buffer; tag: Buffer } {
    const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (b.length < 2 || b[0] !== VERSION) throw new KeyringError("not a sealed value of a known version");
    const idLen = b[1] ?? 0;
    const nonceAt = 2 + idLen;
    if (idLen === 0 || b.length < nonceAt + NONCE_BYTES + TAG_BYTES) throw new KeyringError("sealed value is truncated");
    return {
      keyId: b.subarray(2, nonceAt).toString("utf8"),
      nonce: b.subarray(nonceAt, nonceAt + NONCE_BYTES),
      body: b.subarray(nonceAt + NONCE_BYTES, b.length - TAG_BYTES),
      tag: b.subarray(b.length - TAG_BYTES),
    };
  }

  return {
    currentKeyId: first.id,
    seal(plain, associatedData) {
      const key = byId.get(first.id) as Buffer;
      const nonce = randomPooled(NONCE_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(associatedData, "utf8"));
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      const id = Buffer.from(first.id, "utf8");
      return Buffer.concat([Buffer.from([VERSION, id.length]), id, nonce, body, cipher.getAuthTag()]);
    },
    open(sealed, associatedData) {
      const p = parse(sealed);
      const key = byId.get(p.keyId);
      if (key === undefined) throw new KeyringError(`sealed under key ${p.keyId}, which is not in the keyring`);
      const decipher = createDecipheriv("aes-256-gcm", key, p.nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(associatedData, "utf8"));
      decipher.setAuthTag(p.tag);
      try {
        return Buffer.concat([decipher.update(p.body), decipher.final()]);
      } catch {
        // Never pass on OpenSSL's message; all failures look alike.
        throw new KeyringError("sealed value does not open");
      }
    },
    keyIdOf(sealed) {
      return parse(sealed).keyId;
    },
    keyedHash(purpose, data) {
      // A sub-key per purpose, so a hash made for one purpose never matches another.
      let k = purposeKeys.get(purpose);
      if (k === undefined) {
        k = createHmac("sha256", pepperCopy).update(`twofold/keyed-hash/v1/${purpose}`, "utf8").digest();
        purposeKeys.set(purpose, k);
      }
      return createHmac("sha256", k).update(data).digest();
    },
  };
}
