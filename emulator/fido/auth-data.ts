import { createHash } from "node:crypto";
import { concatBytes, uint16be, uint32be } from "../bytes.js";

/** authenticatorData flag bits (WebAuthn §6.1). */
export const AuthDataFlag = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;

/** The attested credential data of a registration. */
export interface AttestedCredential {
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  cosePublicKey: Uint8Array;
}

/** SHA-256 of an rp id, as authenticatorData and U2F's application parameter carry it. */
export function rpIdHash(rpId: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(rpId, "utf8").digest());
}

/** SHA-256, for clientDataHash. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** rpIdHash(32) ‖ flags ‖ signCount(4, BE) [‖ aaguid ‖ idLen(2) ‖ id ‖ COSE key] (WebAuthn §6.1). */
export function encodeAuthData(parts: {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number;
  attested?: AttestedCredential;
}): Uint8Array {
  const head = concatBytes(parts.rpIdHash, Uint8Array.of(parts.flags), uint32be(parts.signCount));
  if (!parts.attested) return head;
  const a = parts.attested;
  return concatBytes(head, a.aaguid, uint16be(a.credentialId.length), a.credentialId, a.cosePublicKey);
}
