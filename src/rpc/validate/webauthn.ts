import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import type { WebAuthnSpec } from "../../gen/twofold/v1/enrolment_pb.js";
import { checkText, type Violations } from "./fields.js";

/**
 * Validation of WebAuthn request fields: the spec's names, and the JSON a
 * browser's PublicKeyCredential.toJSON() gives (W3C WebAuthn Level 3
 * §5.1.8, RegistrationResponseJSON / AuthenticationResponseJSON). Only the
 * shape is checked here; signatures and ceremony data are the domain's.
 * Descriptions name the bad member, never echo its value.
 */

/** user.name and user.displayName: authenticators show (and may truncate) them; 64 is CTAP2's storage bound. */
export const MAX_WEBAUTHN_NAME_CHARS = 64;
/** A registration response carries an attestation certificate chain; 32 KiB holds any real one. */
export const MAX_ATTESTATION_JSON_CHARS = 32 * 1024;
/** An assertion is a few hundred bytes; 8 KiB leaves room for large user handles and extensions. */
export const MAX_ASSERTION_JSON_CHARS = 8 * 1024;
/** W3C WebAuthn §4: a credential id is at most 1023 bytes. */
const MAX_CREDENTIAL_ID_BYTES = 1023;
/** W3C WebAuthn §5.4.3: a user handle is at most 64 bytes. */
const MAX_USER_HANDLE_BYTES = 64;
const TRANSPORTS = new Set(["usb", "nfc", "ble", "smart-card", "hybrid", "internal", "cable"]);
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A validated WebAuthnSpec. */
export interface WebAuthnSpecInput {
  passwordless: boolean;
  userName: string;
  userDisplayName: string;
}

/** Checks the spec's names: empty means a default (user id, user name), else 1–64 printable characters. */
export function checkWebAuthnSpec(v: Violations, field: string, spec: WebAuthnSpec): WebAuthnSpecInput {
  checkText(v, `${field}.user_name`, spec.userName, { min: 0, max: MAX_WEBAUTHN_NAME_CHARS });
  checkText(v, `${field}.user_display_name`, spec.userDisplayName, { min: 0, max: MAX_WEBAUTHN_NAME_CHARS });
  return { passwordless: spec.passwordless, userName: spec.userName, userDisplayName: spec.userDisplayName };
}

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function parseObject(v: Violations, field: string, text: string, maxChars: number): Json | undefined {
  if (text.length === 0 || text.length > maxChars) {
    v.push({ field, description: `must be 1-${maxChars} characters of JSON` });
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    v.push({ field, description: "must be JSON" });
    return undefined;
  }
  if (!isObject(parsed)) {
    v.push({ field, description: "must be a JSON object (PublicKeyCredential.toJSON())" });
    return undefined;
  }
  return parsed;
}

/** A base64url member (no padding, as toJSON() writes it); returns whether it is one. */
function base64url(
  v: Violations,
  field: string,
  obj: Json,
  key: string,
  opts: { optional?: boolean; minBytes?: number; maxBytes?: number } = {},
): boolean {
  const value = obj[key];
  if (value === undefined && opts.optional === true) return true;
  const bytes = typeof value === "string" && BASE64URL.test(value) ? Buffer.from(value, "base64url").length : -1;
  if (bytes < (opts.minBytes ?? 1) || bytes > (opts.maxBytes ?? Number.MAX_SAFE_INTEGER)) {
    v.push({ field, description: `${key} must be a non-empty base64url string${opts.maxBytes === undefined ? "" : ` of at most ${opts.maxBytes} bytes`}` });
    return false;
  }
  return true;
}

/** The members both kinds of response share: id = rawId, type "public-key", the optional extras. */
/** The fields both credential JSONs share, once checkCredentialShell has passed them. */
function credentialShell(obj: Json): { id: string; rawId: string; type: "public-key"; clientExtensionResults: Json } {
  return {
    id: obj["id"] as string,
    rawId: obj["rawId"] as string,
    type: "public-key",
    clientExtensionResults: isObject(obj["clientExtensionResults"]) ? obj["clientExtensionResults"] : {},
  };
}

function checkCredentialShell(v: Violations, field: string, obj: Json): Json | undefined {
  const before = v.length;
  if (base64url(v, field, obj, "id", { maxBytes: MAX_CREDENTIAL_ID_BYTES }) && obj["rawId"] !== obj["id"]) {
    v.push({ field, description: "rawId must equal id" });
  }
  if (obj["type"] !== "public-key") v.push({ field, description: 'type must be "public-key"' });
  const ext = obj["clientExtensionResults"];
  if (ext !== undefined && !isObject(ext)) v.push({ field, description: "clientExtensionResults must be an object" });
  const attachment = obj["authenticatorAttachment"];
  if (attachment !== undefined && attachment !== "platform" && attachment !== "cross-platform") {
    v.push({ field, description: 'authenticatorAttachment must be "platform" or "cross-platform"' });
  }
  const response = obj["response"];
  if (!isObject(response)) {
    v.push({ field, description: "response must be an object" });
    return undefined;
  }
  return v.length === before ? response : undefined;
}

/** Parses a RegistrationResponseJSON (ConfirmEnrolment); undefined with violations pushed when malformed. */
export function parseAttestationJson(v: Violations, field: string, text: string): RegistrationResponseJSON | undefined {
  const obj = parseObject(v, field, text, MAX_ATTESTATION_JSON_CHARS);
  if (obj === undefined) return undefined;
  const before = v.length;
  const response = checkCredentialShell(v, field, obj);
  if (response === undefined) return undefined;
  base64url(v, field, response, "clientDataJSON");
  base64url(v, field, response, "attestationObject");
  base64url(v, field, response, "authenticatorData", { optional: true });
  base64url(v, field, response, "publicKey", { optional: true });
  const alg = response["publicKeyAlgorithm"];
  if (alg !== undefined && !Number.isSafeInteger(alg)) v.push({ field, description: "publicKeyAlgorithm must be an integer" });
  const transports = response["transports"];
  if (transports !== undefined) {
    const ok = Array.isArray(transports) && transports.length <= TRANSPORTS.size && transports.every((t) => typeof t === "string" && TRANSPORTS.has(t));
    if (!ok) v.push({ field, description: "transports must list known transports (usb, nfc, ble, smart-card, hybrid, internal)" });
  }
  if (v.length > before) return undefined;
  return {
    ...credentialShell(obj),
    response: {
      clientDataJSON: response["clientDataJSON"] as string,
      attestationObject: response["attestationObject"] as string,
      ...(transports === undefined ? {} : { transports: [...new Set(transports as string[])] }),
    },
  };
}

/** Parses an AuthenticationResponseJSON (Verify); undefined with violations pushed when malformed. */
export function parseAssertionJson(v: Violations, field: string, text: string): AuthenticationResponseJSON | undefined {
  const obj = parseObject(v, field, text, MAX_ASSERTION_JSON_CHARS);
  if (obj === undefined) return undefined;
  const before = v.length;
  const response = checkCredentialShell(v, field, obj);
  if (response === undefined) return undefined;
  base64url(v, field, response, "clientDataJSON");
  base64url(v, field, response, "authenticatorData");
  base64url(v, field, response, "signature");
  base64url(v, field, response, "userHandle", { optional: true, maxBytes: MAX_USER_HANDLE_BYTES });
  if (v.length > before) return undefined;
  return {
    ...credentialShell(obj),
    response: {
      clientDataJSON: response["clientDataJSON"] as string,
      authenticatorData: response["authenticatorData"] as string,
      signature: response["signature"] as string,
      ...(response["userHandle"] === undefined ? {} : { userHandle: response["userHandle"] as string }),
    },
  };
}
