import type { ClientFaults } from "../faults.js";

/** The two ceremony types of CollectedClientData. */
export type ClientDataType = "webauthn.create" | "webauthn.get";

/**
 * clientDataJSON exactly as WebAuthn §5.8.1.1 serialises it: type,
 * challenge, origin, crossOrigin in that order, topOrigin only when
 * crossOrigin is true. Faults alter what a broken or hostile client would.
 */
export function serializeClientData(
  parts: { type: ClientDataType; challenge: string; origin: string },
  faults: ClientFaults = {},
): Uint8Array {
  const type = faults.wrongType ? (parts.type === "webauthn.create" ? "webauthn.get" : "webauthn.create") : parts.type;
  const challenge = faults.wrongChallenge ? alterChallenge(parts.challenge) : parts.challenge;
  const origin = faults.wrongOrigin ?? parts.origin;
  let json = `{"type":${JSON.stringify(type)},"challenge":${JSON.stringify(challenge)},"origin":${JSON.stringify(origin)}`;
  json += faults.topOrigin ? `,"crossOrigin":true,"topOrigin":${JSON.stringify(faults.topOrigin)}}` : `,"crossOrigin":false}`;
  return new TextEncoder().encode(json);
}

function alterChallenge(challenge: string): string {
  const bytes = Buffer.from(challenge, "base64url");
  if (bytes.length === 0) return "AA";
  bytes[0] = bytes[0]! ^ 0x01;
  return bytes.toString("base64url");
}
