/**
 * Fixed inputs for the core benchmark and the timing test: RFC 6238 test
 * keys, a pinned clock, codes checked to match (or to match nothing in the
 * searched window), and WebAuthn assertions made by the emulated keys.
 */
import { randomBytes } from "node:crypto";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
} from "@simplewebauthn/server";
import { AttestationCa, Fido2Authenticator, WebAuthnClient, type FidoProfileId } from "../../emulator/index.js";
import { RESYNC_RANGE, totpCode, hotpCode, type OtpAlgorithm, type OtpDigits } from "../targets.js";

/** The pinned clock of every TOTP case (Unix seconds). */
export const NOW = 1_700_000_000;
/** The TOTP period of every case. */
export const PERIOD = 30;

/** RFC 6238 Appendix B test keys (ASCII "1234567890…" at each hash's length). */
export const RFC6238_KEYS: Record<OtpAlgorithm, Buffer> = {
  SHA1: Buffer.from("12345678901234567890", "ascii"),
  SHA256: Buffer.from("12345678901234567890123456789012", "ascii"),
  SHA512: Buffer.from("1234567890123456789012345678901234567890123456789012345678901234", "ascii"),
};

/** The HOTP factor's next expected counter in the HOTP cases. */
export const HOTP_EXPECTED = 100;

/** The code at the current step for `algorithm`/`digits` (it matches, in the window). */
export function matchingTotp(algorithm: OtpAlgorithm, digits: OtpDigits): string {
  return totpCode(RFC6238_KEYS[algorithm], algorithm, digits, PERIOD, NOW);
}

/** Every code of the ±RESYNC_RANGE window the core computes (plus one step of margin). */
function windowCodes(key: Uint8Array, algorithm: OtpAlgorithm, digits: OtpDigits): Set<string> {
  const codes = new Set<string>();
  const step = Math.floor(NOW / PERIOD);
  for (let s = step - RESYNC_RANGE - 1; s <= step + RESYNC_RANGE + 1; s++) codes.add(totpCode(key, algorithm, digits, PERIOD, s * PERIOD));
  return codes;
}

/**
 * `base` with the digit at `position` changed so that the result matches no
 * step of the window (the first such change, deterministic).
 */
export function wrongTotp(key: Uint8Array, algorithm: OtpAlgorithm, digits: OtpDigits, base: string, position: number): string {
  const taken = windowCodes(key, algorithm, digits);
  for (let d = 1; d <= 9; d++) {
    const digit = (Number(base[position]) + d) % 10;
    const candidate = `${base.slice(0, position)}${digit}${base.slice(position + 1)}`;
    if (!taken.has(candidate)) return candidate;
  }
  throw new Error("no wrong code found");
}

/** A code that matches no counter the HOTP window searches (look-behind through the resync range, with margin). */
export function wrongHotp(key: Uint8Array, base: string): string {
  const taken = new Set<string>();
  for (let c = HOTP_EXPECTED - 20; c <= HOTP_EXPECTED + 1020; c++) taken.add(hotpCode(key, "SHA1", c, 6));
  for (let n = 0; n < 1_000_000; n++) {
    const candidate = String((Number(base) + 1 + n * 7919) % 1_000_000).padStart(6, "0");
    if (!taken.has(candidate)) return candidate;
  }
  throw new Error("no wrong HOTP code found");
}

/** A pepper and keyring key for the keyed-hash cases (fixed, so runs compare). */
export const PEPPER = Buffer.alloc(32, 7);
export const KEYRING_KEY = Buffer.alloc(32, 9);

/** An assertion made by an emulated key, and what verifying it needs. */
export interface AssertionFixture {
  name: string;
  response: AuthenticationResponseJSON;
  challenge: string;
  credentialId: string;
  publicKey: Uint8Array;
  rpId: string;
  origin: string;
}

/**
 * Registers an emulated key (Nitrokey FIDO2: ES256; Nitrokey 3: EdDSA) with
 * @simplewebauthn/server's own options and takes one assertion from it.
 */
export async function assertionFixture(profile: FidoProfileId, alg: -7 | -8): Promise<AssertionFixture> {
  const rpId = "login.example.com";
  const origin = `https://${rpId}`;
  const ca = await AttestationCa.create();
  const key = await Fido2Authenticator.create({ profile, ca });
  const browser = new WebAuthnClient({ origin });
  const creation = await generateRegistrationOptions({
    rpName: "bench",
    rpID: rpId,
    userName: "bench@example.com",
    userID: new Uint8Array(randomBytes(16)),
    attestationType: "none",
    supportedAlgorithmIDs: [alg],
    authenticatorSelection: { residentKey: "discouraged", userVerification: "discouraged" },
  });
  const registration = await browser.create(creation, key);
  const verified = await verifyRegistrationResponse({ response: registration, expectedChallenge: creation.challenge, expectedOrigin: origin, expectedRPID: rpId, requireUserVerification: false });
  if (!verified.verified) throw new Error("the emulated key's registration did not verify");
  const { credential } = verified.registrationInfo;
  const request = await generateAuthenticationOptions({ rpID: rpId, allowCredentials: [{ id: credential.id }], userVerification: "discouraged" });
  const response = await browser.get(request, key);
  return { name: alg === -7 ? "ES256" : "EdDSA", response, challenge: request.challenge, credentialId: credential.id, publicKey: credential.publicKey, rpId, origin };
}
