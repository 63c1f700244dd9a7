import { generateKeyPairSync } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import type { FactorRow } from "../../factors/index.js";

let dummyKey: Buffer | undefined;

/** A COSE ES256 public key nobody holds the private half of (made once per process). */
function dummyPublicKey(): Buffer {
  if (dummyKey === undefined) {
    const jwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x ?? "", "base64url")],
      [-3, Buffer.from(jwk.y ?? "", "base64url")],
    ]);
    dummyKey = Buffer.from(isoCBOR.encode(cose));
  }
  return dummyKey;
}

/**
 * A stand-in credential for an assertion whose credential id is unknown (or
 * someone else's), so Verify still runs the full signature check and answers
 * in about the time a known credential takes (docs/design.md "Constant work"). Its
 * verification always fails and its result is discarded.
 */
export function dummyCredential(credentialId: string): Pick<FactorRow, "credential_id" | "public_key" | "transports"> {
  return { credential_id: credentialId, public_key: dummyPublicKey(), transports: [] };
}
