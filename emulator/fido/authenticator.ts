import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { bytesEqual, concatBytes, uuidToBytes } from "../bytes.js";
import type { CborValue } from "../cbor.js";
import type { AuthenticatorFaults } from "../faults.js";
import { randomInt, systemRandomBytes, type RandomBytes } from "../runtime.js";
import type { AttestationCa, BatchCertificate } from "./attestation-ca.js";
import { AuthDataFlag, encodeAuthData, rpIdHash as hashRpId } from "./auth-data.js";
import { ClientPin } from "./client-pin.js";
import { coseEncodePublicKey, type CoseAlgorithmId } from "./cose.js";
import { makeCredentialId, openCredentialId, type CredentialKey } from "./credential-id.js";
import { CtapError } from "./ctap2-errors.js";
import { FIDO_PROFILES, type CounterMode, type FidoProfile, type FidoProfileId } from "./profiles.js";

/** A PublicKeyCredentialDescriptor as CTAP carries it. */
export interface CredentialDescriptor {
  type: "public-key";
  id: Uint8Array;
}

/** authenticatorMakeCredential (CTAP 2.1 §6.1), with the PIN the platform collected instead of pinUvAuthParam. */
export interface MakeCredentialRequest {
  clientDataHash: Uint8Array;
  rp: { id: string; name?: string };
  user: { id: Uint8Array; name?: string; displayName?: string };
  pubKeyCredParams: readonly { type: string; alg: number }[];
  excludeList?: readonly CredentialDescriptor[];
  options?: { rk?: boolean; uv?: boolean };
  pin?: string;
}

/** The authenticator's answer: the pieces of an attestation object. */
export interface MakeCredentialResponse {
  fmt: "packed";
  authData: Uint8Array;
  attStmt: Map<string, CborValue>;
  credentialId: Uint8Array;
  algorithm: CoseAlgorithmId;
  publicKey: KeyObject;
  residentKey: boolean;
}

/** authenticatorGetAssertion (CTAP 2.1 §6.2). */
export interface GetAssertionRequest {
  rpId: string;
  clientDataHash: Uint8Array;
  allowList?: readonly CredentialDescriptor[];
  options?: { up?: boolean; uv?: boolean };
  pin?: string;
}

/** One assertion; `numberOfCredentials` > 1 means getNextAssertion has more. */
export interface GetAssertionResponse {
  credentialId: Uint8Array;
  authData: Uint8Array;
  signature: Uint8Array;
  userHandle: Uint8Array | null;
  numberOfCredentials: number;
}

/** authenticatorGetInfo, the parts a platform looks at. */
export interface AuthenticatorInfo {
  versions: readonly string[];
  aaguid: string;
  algorithms: readonly CoseAlgorithmId[];
  options: { rk: boolean; up: boolean; plat: boolean; clientPin: boolean };
  remainingDiscoverableCredentials: number;
  pinRetries: number;
}

/** A discoverable credential the device keeps. */
interface ResidentCredential {
  rpId: string;
  credentialId: Uint8Array;
  userId: Uint8Array;
  userName?: string;
  displayName?: string;
}

/** Everything a FIDO2 device keeps across power cycles, as JSON (keys in base64; test keys only). */
export interface Fido2AuthenticatorState {
  format: "twofold-fido2-authenticator";
  version: 1;
  profile: FidoProfileId;
  counterMode: CounterMode;
  deviceSecret: string;
  counter: number;
  pin: string | null;
  pinRetries: number;
  batchCertificate: string;
  batchPrivateKeyPkcs8: string;
  resident: { rpId: string; credentialId: string; userId: string; userName?: string; displayName?: string }[];
}

/** Options for {@link Fido2Authenticator.create}. */
export interface Fido2AuthenticatorOptions {
  profile?: FidoProfileId;
  /** Overrides the profile's counter behaviour. */
  counterMode?: CounterMode;
  ca: AttestationCa;
  random?: RandomBytes;
  faults?: AuthenticatorFaults;
  /** A PIN already set, as on a key the user configured before. */
  pin?: string;
}

/**
 * A Nitrokey FIDO2 / Nitrokey 3 authenticator at the CTAP2 level: stateless
 * rp-bound credential ids, discoverable credentials up to the profile's
 * capacity, a global jumping signature counter, a PIN with CTAP2 retry
 * rules, and `packed` attestation under a batch certificate.
 */
export class Fido2Authenticator {
  readonly kind = "fido2";
  /** Faults switched on for this device; tests may replace it at any time. */
  faults: AuthenticatorFaults;
  #deviceSecret: Uint8Array;
  readonly #random: RandomBytes;
  readonly #counterMode: CounterMode;
  readonly #batch: BatchCertificate;
  readonly #faultyBatches = new Map<string, BatchCertificate>();
  readonly #resident: ResidentCredential[] = [];
  #counter = 0;
  #stuckAt: number | null = null;
  readonly #pin: ClientPin;
  #pending: { rpId: string; clientDataHash: Uint8Array; uv: boolean; up: boolean; rest: ResidentCredential[]; total: number } | null = null;

  private constructor(
    readonly profile: FidoProfile,
    readonly ca: AttestationCa,
    batch: BatchCertificate,
    options: Fido2AuthenticatorOptions,
  ) {
    this.#random = options.random ?? systemRandomBytes;
    this.#deviceSecret = this.#random(32);
    this.#counterMode = options.counterMode ?? profile.counterMode;
    this.#batch = batch;
    this.faults = options.faults ?? {};
    this.#pin = new ClientPin(profile.pinRetries, profile.pinRetriesPerBoot);
    if (options.pin !== undefined) this.#pin.set(options.pin);
  }

  /** Makes a device with its batch certificate issued by `options.ca`. */
  static async create(options: Fido2AuthenticatorOptions): Promise<Fido2Authenticator> {
    const profile = FIDO_PROFILES[options.profile ?? "nitrokey-fido2"];
    const batch = await options.ca.issueBatch({ commonName: `${profile.name} batch`, aaguid: uuidToBytes(profile.aaguid) });
    return new Fido2Authenticator(profile, options.ca, batch, options);
  }

  /** Restores a device saved with {@link Fido2Authenticator.exportState}. */
  static restore(state: Fido2AuthenticatorState, options: Omit<Fido2AuthenticatorOptions, "profile" | "pin" | "counterMode">): Fido2Authenticator {
    if (state.format !== "twofold-fido2-authenticator" || state.version !== 1 || !(state.profile in FIDO_PROFILES)) {
      throw new TypeError("not a saved FIDO2 authenticator");
    }
    const batch: BatchCertificate = {
      certificateDer: new Uint8Array(Buffer.from(state.batchCertificate, "base64")),
      privateKey: createPrivateKey({ key: Buffer.from(state.batchPrivateKeyPkcs8, "base64"), format: "der", type: "pkcs8" }),
    };
    const device = new Fido2Authenticator(FIDO_PROFILES[state.profile], options.ca, batch, { ...options, counterMode: state.counterMode });
    device.#deviceSecret = new Uint8Array(Buffer.from(state.deviceSecret, "base64"));
    device.#counter = state.counter;
    device.#pin.restore(state);
    for (const r of state.resident) {
      device.#resident.push({
        rpId: r.rpId,
        credentialId: new Uint8Array(Buffer.from(r.credentialId, "base64")),
        userId: new Uint8Array(Buffer.from(r.userId, "base64")),
        ...(r.userName === undefined ? {} : { userName: r.userName }),
        ...(r.displayName === undefined ? {} : { displayName: r.displayName }),
      });
    }
    return device;
  }

  /** The persistent state, so a scenario can register in one run and log in in the next. */
  exportState(): Fido2AuthenticatorState {
    const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
    return {
      format: "twofold-fido2-authenticator",
      version: 1,
      profile: this.profile.id,
      counterMode: this.#counterMode,
      deviceSecret: b64(this.#deviceSecret),
      counter: this.#counter,
      ...this.#pin.exportState(),
      batchCertificate: b64(this.#batch.certificateDer),
      batchPrivateKeyPkcs8: this.#batch.privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
      resident: this.#resident.map((r) => ({
        rpId: r.rpId,
        credentialId: b64(r.credentialId),
        userId: b64(r.userId),
        ...(r.userName === undefined ? {} : { userName: r.userName }),
        ...(r.displayName === undefined ? {} : { displayName: r.displayName }),
      })),
    };
  }

  /** The batch certificate (DER) that goes into x5c. */
  get batchCertificateDer(): Uint8Array {
    return this.#batch.certificateDer;
  }

  /** The signature counter as last reported. */
  get signCount(): number {
    return this.#counter;
  }

  /** Discoverable credentials stored, for tests. */
  get residentCredentialCount(): number {
    return this.#resident.length;
  }

  /** authenticatorGetInfo. */
  getInfo(): AuthenticatorInfo {
    return {
      versions: this.profile.versions,
      aaguid: this.profile.aaguid,
      algorithms: this.profile.algorithms,
      options: { rk: true, up: true, plat: false, clientPin: this.#pin.isSet },
      remainingDiscoverableCredentials: Math.max(0, this.profile.residentKeyCapacity - this.#resident.length),
      pinRetries: this.#pin.retries,
    };
  }

  /** Unplug and replug: the per-boot PIN attempt budget comes back, pending assertions are gone. */
  powerCycle(): void {
    this.#pin.powerCycle();
    this.#pending = null;
  }

  /** authenticatorReset: a new device secret (so every old credential id is dead), no discoverable credentials, no PIN. */
  reset(): void {
    this.#deviceSecret = this.#random(32);
    this.#resident.length = 0;
    this.#pin.reset();
  }

  /** clientPIN setPIN (no PIN yet) — CTAP2_ERR_PIN_POLICY_VIOLATION outside 4–64 characters. */
  setPin(pin: string): void {
    this.#pin.set(pin);
  }

  /** clientPIN changePIN. */
  changePin(currentPin: string, newPin: string): void {
    this.#pin.change(currentPin, newPin);
  }

  /** clientPIN getRetries. */
  getPinRetries(): number {
    return this.#pin.retries;
  }

  /** Whether a PIN is set (getInfo clientPin). */
  get hasPin(): boolean {
    return this.#pin.isSet;
  }

  /** authenticatorMakeCredential. */
  async makeCredential(request: MakeCredentialRequest): Promise<MakeCredentialResponse> {
    const rpHash = hashRpId(request.rp.id);
    // Step 1: an excluded credential is reported after user presence, without making anything.
    for (const d of request.excludeList ?? []) {
      if (d.type === "public-key" && this.#opens(rpHash, d.id)) {
        this.#awaitUserPresence();
        throw new CtapError("CTAP2_ERR_CREDENTIAL_EXCLUDED");
      }
    }
    // Step 2: the first supported algorithm in the RP's order of preference.
    const algorithm = request.pubKeyCredParams.find(
      (p) => p.type === "public-key" && (this.profile.algorithms as readonly number[]).includes(p.alg),
    )?.alg as CoseAlgorithmId | undefined;
    if (algorithm === undefined) throw new CtapError("CTAP2_ERR_UNSUPPORTED_ALGORITHM");
    const rk = request.options?.rk === true;
    // Steps 3–4: user verification by PIN.
    let uv = false;
    if (request.pin !== undefined) {
      this.#pin.verify(request.pin);
      uv = true;
    } else if (this.#pin.isSet && (rk || request.options?.uv || !this.profile.makeCredUvNotRequired)) {
      throw new CtapError("CTAP2_ERR_PIN_REQUIRED");
    } else if (request.options?.uv) {
      throw new CtapError("CTAP2_ERR_PIN_NOT_SET");
    }
    if (rk && (this.faults.residentKeyStoreFull || this.#resident.length >= this.profile.residentKeyCapacity)) {
      // Nitrokey firmware checks the store before asking for a touch.
      const sameUser = this.#resident.findIndex((c) => c.rpId === request.rp.id && bytesEqual(c.userId, request.user.id));
      if (sameUser < 0 || this.faults.residentKeyStoreFull) throw new CtapError("CTAP2_ERR_KEY_STORE_FULL");
    }
    this.#awaitUserPresence();
    const { credentialId, key } = makeCredentialId(this.#deviceSecret, rpHash, algorithm, this.#random(32));
    if (rk) {
      // A new discoverable credential for the same rp and user replaces the old one (CTAP 2.1 §6.1.2 step 17).
      const same = this.#resident.findIndex((c) => c.rpId === request.rp.id && bytesEqual(c.userId, request.user.id));
      if (same >= 0) this.#resident.splice(same, 1);
      this.#resident.push({
        rpId: request.rp.id,
        credentialId,
        userId: request.user.id,
        ...(request.user.name === undefined ? {} : { userName: request.user.name }),
        ...(request.user.displayName === undefined ? {} : { displayName: request.user.displayName }),
      });
    }
    const aaguid = this.faults.wrongAaguid ? uuidToBytes("00000000-0000-4000-8000-00000000bad0") : uuidToBytes(this.profile.aaguid);
    const authData = encodeAuthData({
      rpIdHash: this.faults.wrongRpIdHash ? hashRpId(`${request.rp.id}.evil.example`) : rpHash,
      flags: this.#flags(true, uv) | AuthDataFlag.AT,
      signCount: this.#nextCounter(),
      attested: {
        aaguid,
        credentialId,
        cosePublicKey: coseEncodePublicKey(key.publicKey, { malformed: this.faults.malformedCoseKey === true }),
      },
    });
    const signed = concatBytes(authData, request.clientDataHash);
    let attStmt: Map<string, CborValue>;
    if (this.faults.selfAttestation) {
      attStmt = new Map<string, CborValue>([["alg", algorithm], ["sig", this.#sign(key, signed)]]);
    } else {
      const batch = await this.#batchFor();
      const sig = this.#sign({ algorithm: -7, privateKey: batch.privateKey }, signed);
      attStmt = new Map<string, CborValue>([["alg", -7], ["sig", sig], ["x5c", [batch.certificateDer]]]);
    }
    return { fmt: "packed", authData, attStmt, credentialId, algorithm, publicKey: key.publicKey, residentKey: rk };
  }

  /** authenticatorGetAssertion. */
  getAssertion(request: GetAssertionRequest): GetAssertionResponse {
    this.#pending = null;
    const rpHash = hashRpId(request.rpId);
    let candidates: ResidentCredential[];
    if (request.allowList && request.allowList.length > 0) {
      candidates = [];
      for (const d of request.allowList) {
        if (d.type !== "public-key" || !this.#opens(rpHash, d.id)) continue;
        const resident = this.#resident.find((c) => c.rpId === request.rpId && bytesEqual(c.credentialId, d.id));
        candidates.push(resident ?? { rpId: request.rpId, credentialId: d.id, userId: new Uint8Array(0) });
        break;
      }
    } else {
      candidates = this.#resident.filter((c) => c.rpId === request.rpId).reverse();
    }
    if (candidates.length === 0) throw new CtapError("CTAP2_ERR_NO_CREDENTIALS");
    let uv = false;
    if (request.pin !== undefined) {
      this.#pin.verify(request.pin);
      uv = true;
    } else if (request.options?.uv) {
      throw new CtapError(this.#pin.isSet ? "CTAP2_ERR_PIN_REQUIRED" : "CTAP2_ERR_PIN_NOT_SET");
    }
    const up = request.options?.up !== false;
    if (up) this.#awaitUserPresence();
    const [first, ...rest] = candidates as [ResidentCredential, ...ResidentCredential[]];
    this.#pending = { rpId: request.rpId, clientDataHash: request.clientDataHash, uv, up, rest, total: candidates.length };
    return this.#assert(first, request.rpId, request.clientDataHash, up, uv, candidates.length);
  }

  /** authenticatorGetNextAssertion: the next discoverable credential of the last getAssertion. */
  getNextAssertion(): GetAssertionResponse {
    const pending = this.#pending;
    const next = pending?.rest.shift();
    if (!pending || !next) throw new CtapError("CTAP2_ERR_NOT_ALLOWED");
    return this.#assert(next, pending.rpId, pending.clientDataHash, pending.up, pending.uv, pending.total);
  }

  #assert(credential: ResidentCredential, rpId: string, clientDataHash: Uint8Array, up: boolean, uv: boolean, total: number): GetAssertionResponse {
    const rpHash = hashRpId(rpId);
    const key = openCredentialId(this.#deviceSecret, rpHash, credential.credentialId);
    if (!key) throw new CtapError("CTAP2_ERR_NO_CREDENTIALS");
    const authData = encodeAuthData({
      rpIdHash: this.faults.wrongRpIdHash ? hashRpId(`${rpId}.evil.example`) : rpHash,
      flags: this.#flags(up, uv),
      signCount: this.#nextCounter(),
    });
    const signature = this.#sign(key, concatBytes(authData, clientDataHash));
    return {
      credentialId: credential.credentialId,
      authData,
      signature,
      userHandle: credential.userId.length > 0 ? credential.userId : null,
      numberOfCredentials: total,
    };
  }

  #opens(rpHash: Uint8Array, credentialId: Uint8Array): boolean {
    return openCredentialId(this.#deviceSecret, rpHash, credentialId) !== null;
  }

  #awaitUserPresence(): void {
    if (this.faults.userPresenceTimeout) throw new CtapError("CTAP2_ERR_USER_ACTION_TIMEOUT");
  }

  #flags(up: boolean, uv: boolean): number {
    let flags = 0;
    if (up && !this.faults.userPresenceCleared) flags |= AuthDataFlag.UP;
    if (uv && !this.faults.userVerificationCleared) flags |= AuthDataFlag.UV;
    return flags;
  }

  /** The global counter moves on every signature, by the profile's step; faults bend what is reported. */
  #nextCounter(): number {
    const step =
      this.#counterMode === "plus-one" ? 1 : this.#counterMode === "random-1-16" ? randomInt(this.#random, 1, 16) : randomInt(this.#random, 1, 256);
    switch (this.faults.counter) {
      case "zero":
        return 0;
      case "stuck":
        this.#stuckAt ??= this.#counter;
        return this.#stuckAt;
      case "backwards":
        this.#counter = Math.max(0, this.#counter - step);
        return this.#counter;
      default:
        this.#stuckAt = null;
        this.#counter = (this.#counter + step) >>> 0;
        return this.#counter;
    }
  }

  #sign(key: Pick<CredentialKey, "algorithm" | "privateKey">, data: Uint8Array): Uint8Array {
    // A bogus signature is a real signature over other bytes, so it still parses.
    const message = this.faults.bogusSignature ? concatBytes(data, Uint8Array.of(0)) : data;
    const sig =
      key.algorithm === -8 ? sign(null, message, key.privateKey) : sign("sha256", message, { key: key.privateKey, dsaEncoding: "der" });
    return new Uint8Array(sig);
  }

  async #batchFor(): Promise<BatchCertificate> {
    const expired = this.faults.expiredAttestationCertificate === true;
    const ca = this.faults.caAttestationCertificate === true;
    if (!expired && !ca) return this.#batch;
    const id = `${expired}/${ca}`;
    let batch = this.#faultyBatches.get(id);
    if (!batch) {
      batch = await this.ca.issueBatch({ commonName: `${this.profile.name} batch`, aaguid: uuidToBytes(this.profile.aaguid), expired, ca });
      this.#faultyBatches.set(id, batch);
    }
    return batch;
  }
}
