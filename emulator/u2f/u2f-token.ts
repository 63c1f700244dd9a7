import { createPrivateKey, sign } from "node:crypto";
import { bytesEqual, concatBytes, uint32be } from "../bytes.js";
import type { AuthenticatorFaults } from "../faults.js";
import type { AttestationCa, BatchCertificate } from "../fido/attestation-ca.js";
import { uncompressedP256 } from "../fido/cose.js";
import { hmac, p256FromSeed } from "../fido/credential-id.js";
import { systemRandomBytes, type RandomBytes } from "../runtime.js";
import { U2fControl, U2fIns, U2fStatusWord, parseCommandApdu, withStatus } from "./apdu.js";

/** What a U2F token keeps across power cycles, as JSON (test keys only). */
export interface U2fTokenState {
  format: "twofold-u2f-token";
  version: 1;
  secret: string;
  counter: number;
  attestationCertificate: string;
  attestationPrivateKeyPkcs8: string;
}

/** Options for {@link U2fToken.create}. */
export interface U2fTokenOptions {
  ca: AttestationCa;
  random?: RandomBytes;
  faults?: AuthenticatorFaults;
}

const KEY_HANDLE_LENGTH = 64;

/**
 * A Nitrokey FIDO U2F token speaking CTAP1 raw messages: register,
 * authenticate (with check-only), 64-byte key handles bound to the
 * application parameter, a counter that counts authentications, and the
 * status words of the U2F spec. Faults that apply: bogus signature, UP
 * cleared, counter stuck/zero/backwards, user presence timeout.
 */
export class U2fToken {
  readonly kind = "u2f";
  readonly name = "Nitrokey FIDO U2F";
  /** Faults switched on for this token; tests may replace it at any time. */
  faults: AuthenticatorFaults;
  readonly #secret: Uint8Array;
  readonly #random: RandomBytes;
  #counter = 0;
  #stuckAt: number | null = null;

  private constructor(
    readonly attestation: BatchCertificate,
    options: U2fTokenOptions,
    random: RandomBytes,
    secret?: Uint8Array,
  ) {
    this.#random = random;
    this.#secret = secret ?? random(32);
    this.faults = options.faults ?? {};
  }

  /** Makes a token with an attestation certificate issued by `options.ca`. */
  static async create(options: U2fTokenOptions): Promise<U2fToken> {
    const attestation = await options.ca.issueBatch({ commonName: "Nitrokey FIDO U2F emulated", packed: false });
    return new U2fToken(attestation, options, options.random ?? systemRandomBytes);
  }

  /** Restores a token saved with {@link U2fToken.exportState}. */
  static restore(state: U2fTokenState, options: U2fTokenOptions): U2fToken {
    if (state.format !== "twofold-u2f-token" || state.version !== 1) throw new TypeError("not a saved U2F token");
    const attestation: BatchCertificate = {
      certificateDer: new Uint8Array(Buffer.from(state.attestationCertificate, "base64")),
      privateKey: createPrivateKey({ key: Buffer.from(state.attestationPrivateKeyPkcs8, "base64"), format: "der", type: "pkcs8" }),
    };
    const secret = new Uint8Array(Buffer.from(state.secret, "base64"));
    const token = new U2fToken(attestation, options, options.random ?? systemRandomBytes, secret);
    token.#counter = state.counter;
    return token;
  }

  /** The persistent state, for a JSON file. */
  exportState(): U2fTokenState {
    return {
      format: "twofold-u2f-token",
      version: 1,
      secret: Buffer.from(this.#secret).toString("base64"),
      counter: this.#counter,
      attestationCertificate: Buffer.from(this.attestation.certificateDer).toString("base64"),
      attestationPrivateKeyPkcs8: this.attestation.privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
    };
  }

  /** The counter as last reported. */
  get counter(): number {
    return this.#counter;
  }

  /** Handles one command APDU and returns the response APDU (data ‖ SW1 SW2). */
  transmit(apdu: Uint8Array): Uint8Array {
    const command = parseCommandApdu(apdu);
    if (!command) return withStatus(new Uint8Array(0), U2fStatusWord.WRONG_LENGTH);
    if (command.cla !== 0) return withStatus(new Uint8Array(0), U2fStatusWord.CLA_NOT_SUPPORTED);
    switch (command.ins) {
      case U2fIns.REGISTER:
        return this.#register(command.data);
      case U2fIns.AUTHENTICATE:
        return this.#authenticate(command.p1, command.data);
      case U2fIns.VERSION:
        return withStatus(new TextEncoder().encode("U2F_V2"), U2fStatusWord.NO_ERROR);
      default:
        return withStatus(new Uint8Array(0), U2fStatusWord.INS_NOT_SUPPORTED);
    }
  }

  #register(data: Uint8Array): Uint8Array {
    if (data.length !== 64) return withStatus(new Uint8Array(0), U2fStatusWord.WRONG_LENGTH);
    if (this.faults.userPresenceTimeout) return withStatus(new Uint8Array(0), U2fStatusWord.CONDITIONS_NOT_SATISFIED);
    const challenge = data.subarray(0, 32);
    const application = data.subarray(32, 64);
    const nonce = this.#random(32);
    const keyHandle = concatBytes(nonce, hmac(this.#secret, "u2f-tag", application, nonce));
    const { publicKey } = p256FromSeed(hmac(this.#secret, "u2f-key", application, nonce));
    const point = uncompressedP256(publicKey);
    const signed = concatBytes(Uint8Array.of(0x00), application, challenge, keyHandle, point);
    const signature = this.#sign(this.attestation.privateKey, signed);
    const body = concatBytes(Uint8Array.of(0x05), point, Uint8Array.of(KEY_HANDLE_LENGTH), keyHandle, this.attestation.certificateDer, signature);
    return withStatus(body, U2fStatusWord.NO_ERROR);
  }

  #authenticate(control: number, data: Uint8Array): Uint8Array {
    if (data.length < 65 || data.length !== 65 + data[64]!) return withStatus(new Uint8Array(0), U2fStatusWord.WRONG_LENGTH);
    const challenge = data.subarray(0, 32);
    const application = data.subarray(32, 64);
    const keyHandle = data.subarray(65);
    const known =
      keyHandle.length === KEY_HANDLE_LENGTH &&
      bytesEqual(hmac(this.#secret, "u2f-tag", application, keyHandle.subarray(0, 32)), keyHandle.subarray(32));
    if (!known) return withStatus(new Uint8Array(0), U2fStatusWord.WRONG_DATA);
    // Check-only answers "a touch would be needed" for a known handle (U2F Raw Message Formats §5.1).
    if (control === U2fControl.CHECK_ONLY) return withStatus(new Uint8Array(0), U2fStatusWord.CONDITIONS_NOT_SATISFIED);
    const enforce = control === U2fControl.ENFORCE_USER_PRESENCE_AND_SIGN;
    if (!enforce && control !== U2fControl.DONT_ENFORCE_USER_PRESENCE_AND_SIGN) {
      return withStatus(new Uint8Array(0), U2fStatusWord.WRONG_DATA);
    }
    if (enforce && this.faults.userPresenceTimeout) return withStatus(new Uint8Array(0), U2fStatusWord.CONDITIONS_NOT_SATISFIED);
    const up = enforce && !this.faults.userPresenceCleared ? 0x01 : 0x00;
    const counter = uint32be(this.#nextCounter());
    const { privateKey } = p256FromSeed(hmac(this.#secret, "u2f-key", application, keyHandle.subarray(0, 32)));
    const signature = this.#sign(privateKey, concatBytes(application, Uint8Array.of(up), counter, challenge));
    return withStatus(concatBytes(Uint8Array.of(up), counter, signature), U2fStatusWord.NO_ERROR);
  }

  #nextCounter(): number {
    switch (this.faults.counter) {
      case "zero":
        return 0;
      case "stuck":
        this.#stuckAt ??= this.#counter;
        return this.#stuckAt;
      case "backwards":
        this.#counter = Math.max(0, this.#counter - 1);
        return this.#counter;
      default:
        this.#stuckAt = null;
        this.#counter = (this.#counter + 1) >>> 0;
        return this.#counter;
    }
  }

  #sign(key: BatchCertificate["privateKey"], data: Uint8Array): Uint8Array {
    const message = this.faults.bogusSignature ? concatBytes(data, Uint8Array.of(0)) : data;
    return new Uint8Array(sign("sha256", message, { key, dsaEncoding: "der" }));
  }
}
