import { createPublicKey, type KeyObject } from "node:crypto";
import { concatBytes, fromBase64Url, toBase64Url } from "../bytes.js";
import { cborDecode, cborEncode, type CborValue } from "../cbor.js";
import type { ClientFaults } from "../faults.js";
import type { Fido2Authenticator } from "../fido/authenticator.js";
import { sha256 } from "../fido/auth-data.js";
import { spkiOf } from "../fido/cose.js";
import { CtapError, CtapStatus } from "../fido/ctap2-errors.js";
import type { U2fToken } from "../u2f/u2f-token.js";
import { serializeClientData } from "./client-data.js";
import { WebAuthnError } from "./errors.js";
import { u2fAssert, u2fRegister, type MadeAssertion, type MadeCredential } from "./u2f-mapping.js";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialDescriptorJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "./types.js";

/** Any emulated device a browser can talk to. */
export type EmulatedAuthenticator = Fido2Authenticator | U2fToken;

/** Options for {@link WebAuthnClient}. */
export interface WebAuthnClientOptions {
  /** The page's origin, e.g. "https://login.example.com". */
  origin: string;
  faults?: ClientFaults;
  /** For `attestation: "none"`, zero the AAGUID as older browsers did. */
  zeroAaguidForNone?: boolean;
}

/** Per-ceremony user choices: the PIN typed at the browser's prompt, which account to pick. */
export interface CeremonyInput {
  pin?: string;
  /** Picks among discoverable credentials (the account chooser); default the first. */
  selectCredential?: (candidates: readonly { id: string; userHandle?: string }[]) => number;
}

const ZERO_AAGUID = new Uint8Array(16);

/**
 * The browser's part of WebAuthn: takes the options JSON a relying party
 * sends, runs the ceremony against an emulated authenticator as Chrome or
 * Firefox would (CTAP2, or CTAP1 for U2F tokens), and returns what
 * `PublicKeyCredential.toJSON()` gives the page — or rejects with the
 * DOMException name a browser uses.
 */
export class WebAuthnClient {
  readonly origin: string;
  /** Faults switched on for this client; tests may replace it at any time. */
  faults: ClientFaults;
  readonly #zeroAaguidForNone: boolean;

  constructor(options: WebAuthnClientOptions) {
    this.origin = options.origin;
    this.faults = options.faults ?? {};
    this.#zeroAaguidForNone = options.zeroAaguidForNone ?? false;
  }

  /** `navigator.credentials.create({ publicKey })` followed by `toJSON()`. */
  async create(
    options: PublicKeyCredentialCreationOptionsJSON,
    authenticator: EmulatedAuthenticator,
    input: CeremonyInput = {},
  ): Promise<RegistrationResponseJSON> {
    const rpId = this.#checkRpId(options.rp.id);
    const userId = decodeField(options.user.id, "user.id");
    if (userId.length < 1 || userId.length > 64) throw new WebAuthnError("TypeError", "user.id must be 1 to 64 bytes");
    const challenge = decodeField(options.challenge, "challenge");
    const params = (options.pubKeyCredParams.length > 0 ? options.pubKeyCredParams : [{ type: "public-key", alg: -7 }, { type: "public-key", alg: -257 }]).filter(
      (p) => p.type === "public-key",
    );
    const selection = options.authenticatorSelection ?? {};
    const userVerification = selection.userVerification ?? "preferred";
    const residentKey = selection.residentKey ?? (selection.requireResidentKey ? "required" : "discouraged");
    const clientDataJSON = serializeClientData({ type: "webauthn.create", challenge: toBase64Url(challenge), origin: this.origin }, this.faults);
    const clientDataHash = sha256(clientDataJSON);
    const excludeList = (options.excludeCredentials ?? []).filter((d) => d.type === "public-key").map(toDescriptor);

    let made: MadeCredential;
    if (authenticator.kind === "fido2") {
      const rk = residentKey === "required" || (residentKey === "preferred" && authenticator.hasPin);
      const pinNeeded =
        authenticator.hasPin && (userVerification !== "discouraged" || rk || !authenticator.profile.makeCredUvNotRequired);
      if (userVerification === "required" && !authenticator.hasPin) {
        throw new WebAuthnError("NotAllowedError", "user verification required but the authenticator has no PIN");
      }
      if (pinNeeded && input.pin === undefined) throw new WebAuthnError("NotAllowedError", "the user cancelled the PIN prompt");
      try {
        const r = await authenticator.makeCredential({
          clientDataHash,
          rp: { id: rpId, name: options.rp.name },
          user: { id: userId, name: options.user.name, displayName: options.user.displayName },
          pubKeyCredParams: params,
          excludeList,
          options: { rk, uv: userVerification === "required" },
          ...(pinNeeded && input.pin !== undefined ? { pin: input.pin } : {}),
        });
        made = { fmt: r.fmt, authData: r.authData, attStmt: r.attStmt, credentialId: r.credentialId, rk: r.residentKey };
      } catch (err) {
        throw mapCtapError(err);
      }
    } else {
      made = u2fRegister(authenticator, rpId, clientDataHash, params, excludeList, residentKey, userVerification);
    }

    // Attestation conveyance (WebAuthn §5.4.7): "none" replaces the statement.
    let { fmt, attStmt, authData } = made;
    const conveyance = options.attestation ?? "none";
    if (conveyance === "none") {
      fmt = "none";
      attStmt = new Map();
      if (this.#zeroAaguidForNone) authData = concatBytes(authData.subarray(0, 37), ZERO_AAGUID, authData.subarray(53));
    }
    let attestationObject = cborEncode(new Map<string, CborValue>([["fmt", fmt], ["attStmt", attStmt], ["authData", authData]]));
    if (this.faults.malformedAttestationObject) attestationObject = attestationObject.subarray(0, Math.floor(attestationObject.length / 2));

    const parsedKey = publicKeyFromAuthData(authData, made.credentialId.length);
    const transports = authenticator.kind === "fido2" ? [...authenticator.profile.transports].sort() : ["usb"];
    const extensions: RegistrationResponseJSON["clientExtensionResults"] = {};
    if (options.extensions?.credProps === true) extensions.credProps = { rk: made.rk };
    const id = toBase64Url(made.credentialId);
    return {
      id,
      rawId: id,
      type: "public-key",
      authenticatorAttachment: "cross-platform",
      clientExtensionResults: extensions,
      response: {
        clientDataJSON: toBase64Url(clientDataJSON),
        attestationObject: toBase64Url(attestationObject),
        authenticatorData: toBase64Url(authData),
        transports,
        publicKeyAlgorithm: parsedKey?.algorithm ?? -7,
        ...(parsedKey ? { publicKey: toBase64Url(spkiOf(parsedKey.key)) } : {}),
      },
    };
  }

  /** `navigator.credentials.get({ publicKey })` followed by `toJSON()`. */
  async get(
    options: PublicKeyCredentialRequestOptionsJSON,
    authenticator: EmulatedAuthenticator,
    input: CeremonyInput = {},
  ): Promise<AuthenticationResponseJSON> {
    const rpId = this.#checkRpId(options.rpId);
    const challenge = decodeField(options.challenge, "challenge");
    const userVerification = options.userVerification ?? "preferred";
    const clientDataJSON = serializeClientData({ type: "webauthn.get", challenge: toBase64Url(challenge), origin: this.origin }, this.faults);
    const clientDataHash = sha256(clientDataJSON);
    const allowList = (options.allowCredentials ?? []).filter((d) => d.type === "public-key").map(toDescriptor);

    let result: MadeAssertion;
    if (authenticator.kind === "fido2") {
      if (userVerification === "required" && !authenticator.hasPin) {
        throw new WebAuthnError("NotAllowedError", "user verification required but the authenticator has no PIN");
      }
      const usePin = authenticator.hasPin && userVerification !== "discouraged" && input.pin !== undefined;
      if (userVerification === "required" && !usePin) throw new WebAuthnError("NotAllowedError", "the user cancelled the PIN prompt");
      try {
        const first = authenticator.getAssertion({
          rpId,
          clientDataHash,
          allowList,
          options: { up: true, uv: userVerification === "required" },
          ...(usePin && input.pin !== undefined ? { pin: input.pin } : {}),
        });
        const all = [first];
        for (let i = 1; i < first.numberOfCredentials; i++) all.push(authenticator.getNextAssertion());
        const index = all.length > 1 && input.selectCredential
          ? input.selectCredential(all.map((a) => ({ id: toBase64Url(a.credentialId), ...(a.userHandle ? { userHandle: toBase64Url(a.userHandle) } : {}) })))
          : 0;
        const chosen = all[index];
        if (!chosen) throw new WebAuthnError("NotAllowedError", "the user picked no account");
        result = chosen;
      } catch (err) {
        throw mapCtapError(err);
      }
    } else {
      result = u2fAssert(authenticator, rpId, clientDataHash, allowList, userVerification);
    }
    const id = toBase64Url(result.credentialId);
    return {
      id,
      rawId: id,
      type: "public-key",
      authenticatorAttachment: "cross-platform",
      clientExtensionResults: {},
      response: {
        clientDataJSON: toBase64Url(clientDataJSON),
        authenticatorData: toBase64Url(result.authData),
        signature: toBase64Url(result.signature),
        ...(result.userHandle ? { userHandle: toBase64Url(result.userHandle) } : {}),
      },
    };
  }

  /** WebAuthn §5.1.3 steps 5–8: a secure context, and an rp id that is a registrable suffix of the origin's host. */
  #checkRpId(requested: string | undefined): string {
    let url: URL;
    try {
      url = new URL(this.origin);
    } catch {
      throw new WebAuthnError("SecurityError", "the origin is not a URL");
    }
    const host = url.hostname;
    const local = host === "localhost" || host.endsWith(".localhost") || host === "127.0.0.1" || host === "[::1]";
    if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) {
      throw new WebAuthnError("SecurityError", "not a secure context");
    }
    const rpId = requested ?? host;
    // An IP-address host admits only itself; a domain admits itself and its parent domains, but not
    // a bare top-level label (a stand-in for the public suffix list, which is not modelled).
    const isIp = /^[\d.]+$/.test(host) || host.startsWith("[");
    const isParent = !isIp && rpId.includes(".") && !rpId.startsWith(".") && host.endsWith(`.${rpId}`);
    if (rpId !== host && !isParent) throw new WebAuthnError("SecurityError", `rp id ${rpId} does not match origin ${this.origin}`);
    return rpId;
  }
}

/** How browsers surface CTAP errors to the page (Chromium's GetAuthenticatorStatus mapping). */
function mapCtapError(err: unknown): unknown {
  if (err instanceof WebAuthnError) return err;
  if (!(err instanceof CtapError)) return err;
  switch (err.status) {
    case CtapStatus.CTAP2_ERR_CREDENTIAL_EXCLUDED:
      return new WebAuthnError("InvalidStateError", "this authenticator is already registered", { cause: err });
    case CtapStatus.CTAP2_ERR_UNSUPPORTED_ALGORITHM:
      return new WebAuthnError("NotSupportedError", "no requested algorithm is supported", { cause: err });
    default:
      return new WebAuthnError("NotAllowedError", `the operation either timed out or was not allowed (${err.statusName})`, { cause: err });
  }
}

function toDescriptor(d: PublicKeyCredentialDescriptorJSON): { type: "public-key"; id: Uint8Array } {
  return { type: "public-key", id: decodeField(d.id, "credential id") };
}

function decodeField(value: string, field: string): Uint8Array {
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]*={0,2}$/.test(value)) throw new WebAuthnError("TypeError", `${field} is not base64url`);
  return fromBase64Url(value);
}

/** Parses the COSE key of the attested credential data, as a browser does for getPublicKey(); null if malformed. */
function publicKeyFromAuthData(authData: Uint8Array, credentialIdLength: number): { key: KeyObject; algorithm: number } | null {
  try {
    const cose = cborDecode(authData.subarray(55 + credentialIdLength));
    if (!(cose instanceof Map)) return null;
    const kty = cose.get(1);
    const alg = cose.get(3) as number;
    const x = cose.get(-2) as Uint8Array | undefined;
    if (kty === 2 && cose.get(-1) === 1 && x && cose.get(-3)) {
      const y = cose.get(-3) as Uint8Array;
      const key = createPublicKey({ key: { kty: "EC", crv: "P-256", x: toBase64Url(x), y: toBase64Url(y) }, format: "jwk" });
      return { key, algorithm: alg };
    }
    if (kty === 1 && cose.get(-1) === 6 && x) {
      return { key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: toBase64Url(x) }, format: "jwk" }), algorithm: alg };
    }
    return null;
  } catch {
    return null;
  }
}
