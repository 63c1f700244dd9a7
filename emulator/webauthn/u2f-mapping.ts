import { concatBytes } from "../bytes.js";
import { cborEncode, type CborValue } from "../cbor.js";
import { AuthDataFlag, encodeAuthData, rpIdHash } from "../fido/auth-data.js";
import { U2fControl, U2fIns, U2fStatusWord, encodeCommandApdu, splitResponse } from "../u2f/apdu.js";
import type { U2fToken } from "../u2f/u2f-token.js";
import { WebAuthnError } from "./errors.js";

const ZERO_AAGUID = new Uint8Array(16);

/** A registration as the client assembles it before attestation conveyance. */
export interface MadeCredential {
  fmt: string;
  authData: Uint8Array;
  attStmt: Map<string, CborValue>;
  credentialId: Uint8Array;
  rk: boolean;
}

/** An assertion as the client assembles it. */
export interface MadeAssertion {
  credentialId: Uint8Array;
  authData: Uint8Array;
  signature: Uint8Array;
  userHandle: Uint8Array | null;
}

/** What a browser does with a CTAP1-only key for create(): check-only for excluded handles, then REGISTER (WebAuthn §8.6 mapping). */
export function u2fRegister(
  token: U2fToken,
  rpId: string,
  clientDataHash: Uint8Array,
  params: readonly { alg: number }[],
  excludeList: readonly { id: Uint8Array }[],
  residentKey: string,
  userVerification: string,
): MadeCredential {
  if (!params.some((p) => p.alg === -7)) throw new WebAuthnError("NotSupportedError", "a U2F key can only make ES256 credentials");
  if (residentKey === "required" || userVerification === "required") {
    throw new WebAuthnError("NotAllowedError", "a U2F key cannot make discoverable or user-verified credentials");
  }
  const app = rpIdHash(rpId);
  for (const d of excludeList) {
    if (d.id.length > 255) continue;
    const { sw } = u2fAuthenticate(token, U2fControl.CHECK_ONLY, clientDataHash, app, d.id);
    if (sw === U2fStatusWord.CONDITIONS_NOT_SATISFIED) throw new WebAuthnError("InvalidStateError", "this authenticator is already registered");
  }
  const { data, sw } = splitResponse(token.transmit(encodeCommandApdu(U2fIns.REGISTER, 0x00, concatBytes(clientDataHash, app))));
  if (sw !== U2fStatusWord.NO_ERROR) throw new WebAuthnError("NotAllowedError", `the U2F key did not register (SW ${sw.toString(16)})`);
  // 0x05 ‖ point(65) ‖ L ‖ key handle(L) ‖ certificate (DER) ‖ signature
  const point = data.subarray(1, 66);
  const handleLength = data[66]!;
  const keyHandle = data.subarray(67, 67 + handleLength);
  const certLength = derLength(data.subarray(67 + handleLength));
  const certificate = data.subarray(67 + handleLength, 67 + handleLength + certLength);
  const signature = data.subarray(67 + handleLength + certLength);
  const cose = cborEncode(new Map<number, CborValue>([[1, 2], [3, -7], [-1, 1], [-2, point.subarray(1, 33)], [-3, point.subarray(33, 65)]]));
  // WebAuthn §8.6: flags UP|AT, counter 0, AAGUID zero, credential id = key handle.
  const authData = encodeAuthData({
    rpIdHash: app,
    flags: AuthDataFlag.UP | AuthDataFlag.AT,
    signCount: 0,
    attested: { aaguid: ZERO_AAGUID, credentialId: keyHandle, cosePublicKey: cose },
  });
  const attStmt = new Map<string, CborValue>([["sig", signature], ["x5c", [certificate]]]);
  return { fmt: "fido-u2f", authData, attStmt, credentialId: keyHandle, rk: false };
}

/** What a browser does with a CTAP1-only key for get(): find a known handle, then AUTHENTICATE with a touch. */
export function u2fAssert(
  token: U2fToken,
  rpId: string,
  clientDataHash: Uint8Array,
  allowList: readonly { id: Uint8Array }[],
  userVerification: string,
): MadeAssertion {
  if (userVerification === "required") throw new WebAuthnError("NotAllowedError", "a U2F key cannot verify the user");
  const app = rpIdHash(rpId);
  const known = allowList.find(
    (d) => d.id.length <= 255 && u2fAuthenticate(token, U2fControl.CHECK_ONLY, clientDataHash, app, d.id).sw === U2fStatusWord.CONDITIONS_NOT_SATISFIED,
  );
  if (!known) throw new WebAuthnError("NotAllowedError", "no credential of this authenticator is allowed");
  const { data, sw } = u2fAuthenticate(token, U2fControl.ENFORCE_USER_PRESENCE_AND_SIGN, clientDataHash, app, known.id);
  if (sw !== U2fStatusWord.NO_ERROR) throw new WebAuthnError("NotAllowedError", "the user did not touch the key");
  const authData = concatBytes(app, data.subarray(0, 5));
  return { credentialId: known.id, authData, signature: data.subarray(5), userHandle: null };
}

function u2fAuthenticate(token: U2fToken, control: number, challenge: Uint8Array, app: Uint8Array, handle: Uint8Array): { data: Uint8Array; sw: number } {
  const body = concatBytes(challenge, app, Uint8Array.of(handle.length), handle);
  return splitResponse(token.transmit(encodeCommandApdu(U2fIns.AUTHENTICATE, control, body)));
}

/** Length of the DER element at the start of `bytes` (header included). */
function derLength(bytes: Uint8Array): number {
  const first = bytes[1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + bytes[2 + i]!;
  return 2 + n + len;
}
