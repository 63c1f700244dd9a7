import { createPublicKey, type KeyObject } from "node:crypto";
import { cborEncode } from "../cbor.js";

/** COSE algorithm identifiers the Nitrokeys implement (RFC 9053). */
export const CoseAlgorithm = { ES256: -7, EdDSA: -8 } as const;

/** -7 or -8. */
export type CoseAlgorithmId = (typeof CoseAlgorithm)[keyof typeof CoseAlgorithm];

/**
 * A public key as a COSE_Key in CTAP2 canonical key order (1, 3, -1, -2, -3),
 * which some verifiers require byte for byte.
 */
export function coseEncodePublicKey(publicKey: KeyObject, options: { malformed?: boolean } = {}): Uint8Array {
  const jwk = publicKey.export({ format: "jwk" });
  const x = Buffer.from(jwk.x ?? "", "base64url");
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
    if (options.malformed) return cborEncode(new Map<number, number | Uint8Array>([[1, 1], [-1, 6], [-2, x.subarray(1)]]));
    return cborEncode(new Map<number, number | Uint8Array>([[1, 1], [3, -8], [-1, 6], [-2, x]]));
  }
  if (jwk.kty === "EC" && jwk.crv === "P-256") {
    const y = Buffer.from(jwk.y ?? "", "base64url");
    // A malformed key: EC2 without its algorithm or y coordinate.
    if (options.malformed) return cborEncode(new Map<number, number | Uint8Array>([[1, 2], [-1, 1], [-2, x]]));
    return cborEncode(new Map<number, number | Uint8Array>([[1, 2], [3, -7], [-1, 1], [-2, x], [-3, y]]));
  }
  throw new TypeError(`unsupported key type ${jwk.kty}/${jwk.crv}`);
}

/** The SubjectPublicKeyInfo DER a browser reports as `getPublicKey()`. */
export function spkiOf(publicKey: KeyObject): Uint8Array {
  const key = publicKey.type === "private" ? createPublicKey(publicKey) : publicKey;
  return new Uint8Array(key.export({ format: "der", type: "spki" }));
}

/** The 65-byte uncompressed P-256 point U2F uses. */
export function uncompressedP256(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: "jwk" });
  return new Uint8Array(
    Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x ?? "", "base64url"), Buffer.from(jwk.y ?? "", "base64url")]),
  );
}
