/**
 * Every fault the emulator models (emulator/README.md "Faults"), as a named switch. Tests set the typed
 * option objects directly; the scenario runner and CLI switch faults on by
 * kebab-case name through {@link applyFaultNames}.
 */

/** Faults of a Nitrokey Pro/Storage OATH token and its host. */
export interface OtpFaults {
  /** The token's clock runs this many seconds off the time the host set (drift). */
  clockSkewSeconds?: number;
  /** The host never sets the time: `syncTimeFromHost` does nothing, so a fresh device stays at time 0. */
  clockUnset?: boolean;
  /** The button was pressed this many times unseen: the HOTP counter jumps ahead once, before the slot's next code. */
  hotpDesyncSteps?: number;
  /** The host re-sends the last HOTP code instead of asking for a new one. */
  hotpReplay?: boolean;
}

/** Faults of a FIDO2 or U2F authenticator (what the device puts in its response). */
export interface AuthenticatorFaults {
  /** The signature (assertion or attestation) is over different bytes. */
  bogusSignature?: boolean;
  /** The UP flag is cleared in authenticatorData. */
  userPresenceCleared?: boolean;
  /** The UV flag is cleared even when the PIN was verified. */
  userVerificationCleared?: boolean;
  /** The signature counter misbehaves as a cloned key would. */
  counter?: "stuck" | "zero" | "backwards";
  /** authenticatorData carries the hash of another rp id. */
  wrongRpIdHash?: boolean;
  /** authenticatorData carries an AAGUID the attestation certificate does not. */
  wrongAaguid?: boolean;
  /** `packed` self attestation (no x5c, signed by the credential key). */
  selfAttestation?: boolean;
  /** The batch certificate expired before the ceremony. */
  expiredAttestationCertificate?: boolean;
  /** The batch certificate says CA=true. */
  caAttestationCertificate?: boolean;
  /** The COSE credential public key lacks its algorithm and y coordinate. */
  malformedCoseKey?: boolean;
  /** The user never touches the key: CTAP2_ERR_USER_ACTION_TIMEOUT / U2F 0x6985 forever. */
  userPresenceTimeout?: boolean;
  /** The resident key store reports full (CTAP2_ERR_KEY_STORE_FULL). */
  residentKeyStoreFull?: boolean;
}

/** Faults of the browser's part: what ends up in clientDataJSON and the response. */
export interface ClientFaults {
  /** clientDataJSON.type is the other ceremony's type. */
  wrongType?: boolean;
  /** clientDataJSON.challenge is not the relying party's challenge. */
  wrongChallenge?: boolean;
  /** clientDataJSON.origin is this origin instead of the real one. */
  wrongOrigin?: string;
  /** The ceremony ran in a cross-origin iframe under this top-level origin. */
  topOrigin?: string;
  /** attestationObject is truncated CBOR. */
  malformedAttestationObject?: boolean;
}

/** Where a named fault applies. */
export type FaultTarget = "otp" | "authenticator" | "client";

/** One entry of the fault catalogue. */
export interface FaultDescription {
  readonly name: string;
  readonly target: FaultTarget;
  readonly description: string;
}

/** The catalogue, for `--help` and scenario files. */
export const FAULT_CATALOGUE: readonly FaultDescription[] = [
  { name: "clock-skew", target: "otp", description: "token clock off by N seconds (clock-skew=SECONDS)" },
  { name: "clock-unset", target: "otp", description: "host never sets the token's time; TOTP codes are from 1970" },
  { name: "hotp-desync", target: "otp", description: "HOTP counter jumps N steps ahead unseen (hotp-desync=N)" },
  { name: "hotp-replay", target: "otp", description: "the last HOTP code is sent again" },
  { name: "pin-lockout", target: "otp", description: "user and admin PIN retry counters at 0" },
  { name: "pin-protected-otp", target: "otp", description: "'OTP requires user PIN' is on" },
  { name: "unprogrammed-slot", target: "otp", description: "the slot in use is erased" },
  { name: "bogus-signature", target: "authenticator", description: "signature over the wrong bytes" },
  { name: "up-cleared", target: "authenticator", description: "UP flag cleared" },
  { name: "uv-cleared", target: "authenticator", description: "UV flag cleared" },
  { name: "counter-stuck", target: "authenticator", description: "signature counter never moves" },
  { name: "counter-zero", target: "authenticator", description: "signature counter always 0" },
  { name: "counter-backwards", target: "authenticator", description: "signature counter goes down (a cloned key)" },
  { name: "wrong-rp-id-hash", target: "authenticator", description: "rpIdHash of another rp id" },
  { name: "wrong-aaguid", target: "authenticator", description: "AAGUID differs from the certificate's" },
  { name: "self-attestation", target: "authenticator", description: "packed self attestation, no x5c" },
  { name: "expired-certificate", target: "authenticator", description: "expired batch certificate" },
  { name: "ca-certificate", target: "authenticator", description: "batch certificate with CA=true" },
  { name: "malformed-cose-key", target: "authenticator", description: "COSE key without alg and y" },
  { name: "user-presence-timeout", target: "authenticator", description: "the user never touches the key" },
  { name: "resident-key-store-full", target: "authenticator", description: "no room for a resident key" },
  { name: "wrong-type", target: "client", description: "clientDataJSON type of the other ceremony" },
  { name: "wrong-challenge", target: "client", description: "clientDataJSON challenge altered" },
  { name: "wrong-origin", target: "client", description: "clientDataJSON origin altered (wrong-origin=ORIGIN)" },
  { name: "cross-origin", target: "client", description: "crossOrigin true with topOrigin (cross-origin=TOP_ORIGIN)" },
  { name: "malformed-cbor", target: "client", description: "attestationObject truncated" },
];

/** OTP faults that change device state rather than host behaviour. */
export interface OtpDeviceFaultSwitches {
  pinLockout?: boolean;
  pinProtectedOtp?: boolean;
  unprogrammedSlot?: boolean;
}

/** The typed options a list of named faults amounts to. */
export interface NamedFaults {
  otp: OtpFaults & OtpDeviceFaultSwitches;
  authenticator: AuthenticatorFaults;
  client: ClientFaults;
}

/**
 * Parses `name` or `name=value` items (as a scenario file or CLI gives them)
 * into typed fault options; unknown names are an error, not silently ignored.
 */
export function applyFaultNames(items: readonly string[]): NamedFaults {
  const out: NamedFaults = { otp: {}, authenticator: {}, client: {} };
  for (const item of items) {
    const eq = item.indexOf("=");
    const name = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    const number = (fallback: number): number => {
      if (value === undefined) return fallback;
      const n = Number(value);
      if (!Number.isFinite(n)) throw new RangeError(`fault ${name} needs a number, got ${value}`);
      return n;
    };
    switch (name) {
      case "clock-skew": out.otp.clockSkewSeconds = number(90); break;
      case "clock-unset": out.otp.clockUnset = true; break;
      case "hotp-desync": out.otp.hotpDesyncSteps = number(20); break;
      case "hotp-replay": out.otp.hotpReplay = true; break;
      case "pin-lockout": out.otp.pinLockout = true; break;
      case "pin-protected-otp": out.otp.pinProtectedOtp = true; break;
      case "unprogrammed-slot": out.otp.unprogrammedSlot = true; break;
      case "bogus-signature": out.authenticator.bogusSignature = true; break;
      case "up-cleared": out.authenticator.userPresenceCleared = true; break;
      case "uv-cleared": out.authenticator.userVerificationCleared = true; break;
      case "counter-stuck": out.authenticator.counter = "stuck"; break;
      case "counter-zero": out.authenticator.counter = "zero"; break;
      case "counter-backwards": out.authenticator.counter = "backwards"; break;
      case "wrong-rp-id-hash": out.authenticator.wrongRpIdHash = true; break;
      case "wrong-aaguid": out.authenticator.wrongAaguid = true; break;
      case "self-attestation": out.authenticator.selfAttestation = true; break;
      case "expired-certificate": out.authenticator.expiredAttestationCertificate = true; break;
      case "ca-certificate": out.authenticator.caAttestationCertificate = true; break;
      case "malformed-cose-key": out.authenticator.malformedCoseKey = true; break;
      case "user-presence-timeout": out.authenticator.userPresenceTimeout = true; break;
      case "resident-key-store-full": out.authenticator.residentKeyStoreFull = true; break;
      case "wrong-type": out.client.wrongType = true; break;
      case "wrong-challenge": out.client.wrongChallenge = true; break;
      case "wrong-origin": out.client.wrongOrigin = value ?? "https://evil.example"; break;
      case "cross-origin": out.client.topOrigin = value ?? "https://embedder.example"; break;
      case "malformed-cbor": out.client.malformedAttestationObject = true; break;
      default: throw new RangeError(`unknown fault: ${name}`);
    }
  }
  return out;
}
