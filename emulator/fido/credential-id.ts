import { createECDH, createHmac, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { bytesEqual, concatBytes } from "../bytes.js";
import type { CoseAlgorithmId } from "./cose.js";

const VERSION = 0x01;
const ALG_CODE: Record<CoseAlgorithmId, number> = { [-7]: 1, [-8]: 2 };
/** 1 + 1 + 32 + 32: a fixed size, so foreign ids are refused by length before any MAC. */
export const CREDENTIAL_ID_LENGTH = 66;

/** A credential's key pair, re-derived from its id. */
export interface CredentialKey {
  readonly algorithm: CoseAlgorithmId;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/**
 * Stateless credential ids as the SoloKeys-derived Nitrokey firmware makes
 * them: version ‖ alg ‖ nonce(32) ‖ HMAC(deviceSecret, …‖rpIdHash). The key is
 * derived from the same inputs, so an id only opens under the rp id it was
 * made for (WebAuthn §6.1 credential id binding).
 */
export function makeCredentialId(
  deviceSecret: Uint8Array,
  rpIdHash: Uint8Array,
  algorithm: CoseAlgorithmId,
  nonce: Uint8Array,
): { credentialId: Uint8Array; key: CredentialKey } {
  const head = Uint8Array.of(VERSION, ALG_CODE[algorithm]);
  const tag = hmac(deviceSecret, "cred-tag", head, nonce, rpIdHash);
  return { credentialId: concatBytes(head, nonce, tag), key: deriveKey(deviceSecret, rpIdHash, algorithm, nonce) };
}

/** Opens a credential id for an rp; null when it is not ours or was made for another rp id. */
export function openCredentialId(deviceSecret: Uint8Array, rpIdHash: Uint8Array, credentialId: Uint8Array): CredentialKey | null {
  if (credentialId.length !== CREDENTIAL_ID_LENGTH || credentialId[0] !== VERSION) return null;
  const algorithm = credentialId[1] === 1 ? -7 : credentialId[1] === 2 ? -8 : null;
  if (algorithm === null) return null;
  const nonce = credentialId.subarray(2, 34);
  const tag = hmac(deviceSecret, "cred-tag", credentialId.subarray(0, 2), nonce, rpIdHash);
  if (!bytesEqual(tag, credentialId.subarray(34))) return null;
  return deriveKey(deviceSecret, rpIdHash, algorithm, nonce);
}

/** HMAC-SHA256 over labelled parts, the one primitive the wrapping uses. */
export function hmac(key: Uint8Array, label: string, ...parts: Uint8Array[]): Uint8Array {
  const mac = createHmac("sha256", key).update(label, "utf8");
  for (const p of parts) mac.update(p);
  return new Uint8Array(mac.digest());
}

/** A P-256 key from 32 seed bytes (re-hashed in the rare case the seed is not a valid scalar). */
export function p256FromSeed(seed: Uint8Array): { privateKey: KeyObject; publicKey: KeyObject } {
  let scalar = seed;
  for (let i = 0; ; i++) {
    try {
      const ecdh = createECDH("prime256v1");
      ecdh.setPrivateKey(Buffer.from(scalar));
      const point = ecdh.getPublicKey();
      const jwk = {
        kty: "EC",
        crv: "P-256",
        d: Buffer.from(scalar).toString("base64url"),
        x: point.subarray(1, 33).toString("base64url"),
        y: point.subarray(33, 65).toString("base64url"),
      };
      const privateKey = createPrivateKey({ key: jwk, format: "jwk" });
      return { privateKey, publicKey: createPublicKey(privateKey) };
    } catch (err) {
      if (i > 8) throw err;
      scalar = hmac(seed, "p256-retry", Uint8Array.of(i));
    }
  }
}

function deriveKey(deviceSecret: Uint8Array, rpIdHash: Uint8Array, algorithm: CoseAlgorithmId, nonce: Uint8Array): CredentialKey {
  const seed = hmac(deviceSecret, "cred-key", Uint8Array.of(ALG_CODE[algorithm]), nonce, rpIdHash);
  if (algorithm === -7) return { algorithm, ...p256FromSeed(seed) };
  // Ed25519 PKCS#8 is a fixed 16-byte prefix and the 32-byte seed (RFC 8410).
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  const privateKey = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  return { algorithm, privateKey, publicKey: createPublicKey(privateKey) };
}
