import { expect } from "vitest";
import {
  AttestationCa,
  Fido2Authenticator,
  U2fToken,
  WebAuthnClient,
  type AuthenticationResponseJSON,
  type EmulatedAuthenticator,
  type FidoProfileId,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "../../emulator/index.js";
import type { Queryable } from "../../src/store/db.js";
import { Provider, Purpose } from "../../src/gen/twofold/v1/types_pb.js";
import type { Harness } from "../rpc/harness.js";

/** The page origin the test relying party (rp id `localhost`, testConfig) accepts. */
export const ORIGIN = "http://localhost:3000";
/** The PIN every emulated FIDO2 key in these tests is set up with. */
export const PIN = "1234";
/** Every FIDO2 profile the emulator offers. */
export const FIDO2_PROFILES: readonly FidoProfileId[] = ["nitrokey-fido2", "nitrokey-3-xn", "nitrokey-3-am", "nitrokey-3-xn-legacy-counter"];

let sharedCa: AttestationCa | undefined;
/** One attestation CA for a test file (making one costs a key generation). */
export async function testCa(): Promise<AttestationCa> {
  sharedCa ??= await AttestationCa.create();
  return sharedCa;
}

/** A FIDO2 key of `profile` with the test PIN set. */
export async function fido2Key(profile: FidoProfileId = "nitrokey-3-xn"): Promise<Fido2Authenticator> {
  return Fido2Authenticator.create({ profile, ca: await testCa(), pin: PIN });
}

/** A FIDO U2F key. */
export async function u2fKey(): Promise<U2fToken> {
  return U2fToken.create({ ca: await testCa() });
}

/** A browser on the relying party's origin. */
export function browser(opts: { zeroAaguidForNone?: boolean } = {}): WebAuthnClient {
  return new WebAuthnClient({ origin: ORIGIN, ...opts });
}

/** Starts a WebAuthn enrolment; returns the factor id and the parsed creation options. */
export async function startEnrolment(
  h: Harness,
  userId: string,
  opts: { passwordless?: boolean; label?: string; tenant?: string } = {},
): Promise<{ factorId: string; options: PublicKeyCredentialCreationOptionsJSON }> {
  const res = await h.enrolment(opts.tenant).enrol({
    userId,
    label: opts.label ?? "Security key",
    spec: { case: "webauthn", value: { passwordless: opts.passwordless ?? false, userName: "", userDisplayName: "" } },
  });
  if (res.enrolment.case !== "webauthn") throw new Error("expected a WebAuthn enrolment");
  return { factorId: res.factor?.id ?? "", options: JSON.parse(res.enrolment.value.creationOptionsJson) as PublicKeyCredentialCreationOptionsJSON };
}

/** Sends a registration response to ConfirmEnrolment. */
export function confirm(h: Harness, userId: string, factorId: string, attestation: RegistrationResponseJSON | string, tenant?: string) {
  return h.enrolment(tenant).confirmEnrolment({
    userId,
    factorId,
    proof: { case: "webauthnAttestationJson", value: typeof attestation === "string" ? attestation : JSON.stringify(attestation) },
  });
}

/** Enrols and confirms `key` for `userId`; fails the test unless confirmed. */
export async function enrolKey(
  h: Harness,
  userId: string,
  key: EmulatedAuthenticator,
  opts: { passwordless?: boolean; client?: WebAuthnClient; attestation?: "none" | "direct"; tenant?: string } = {},
): Promise<{ factorId: string; credentialId: string }> {
  const { factorId, options } = await startEnrolment(h, userId, opts);
  const client = opts.client ?? browser();
  const registration = await client.create({ ...options, attestation: opts.attestation ?? options.attestation }, key, { pin: PIN });
  const res = await confirm(h, userId, factorId, registration, opts.tenant);
  expect(res.confirmed, `confirm reason ${res.reason}`).toBe(true);
  return { factorId, credentialId: registration.id };
}

/** A second-factor Challenge; returns the transaction and the WEBAUTHN option's request options (if offered). */
export async function challenge2fa(h: Harness, userId: string, tenant?: string) {
  const ch = await h.auth(tenant).challenge({ userId, purpose: Purpose.SECOND_FACTOR });
  const option = ch.providers.find((p) => p.provider === Provider.WEBAUTHN);
  const requestOptions =
    option === undefined ? undefined : (JSON.parse(option.webauthnRequestOptionsJson) as PublicKeyCredentialRequestOptionsJSON);
  return { transactionId: ch.transactionId, option, requestOptions };
}

/** A passwordless Challenge; returns the transaction and its request options. */
export async function challengePasswordless(h: Harness, tenant?: string) {
  const ch = await h.auth(tenant).challenge({ userId: "", purpose: Purpose.PASSWORDLESS });
  const option = ch.providers[0];
  if (option?.provider !== Provider.WEBAUTHN) throw new Error("expected a WEBAUTHN option");
  return { transactionId: ch.transactionId, requestOptions: JSON.parse(option.webauthnRequestOptionsJson) as PublicKeyCredentialRequestOptionsJSON };
}

/** Sends an assertion to Verify. */
export function verifyAssertion(h: Harness, transactionId: string, assertion: AuthenticationResponseJSON | string, tenant?: string) {
  return h.auth(tenant).verify({
    transactionId,
    proof: { case: "webauthn", value: { assertionJson: typeof assertion === "string" ? assertion : JSON.stringify(assertion) } },
  });
}

/** A full second-factor login with `key`: Challenge, the browser's get(), Verify. */
export async function login2fa(h: Harness, userId: string, key: EmulatedAuthenticator, client: WebAuthnClient = browser()) {
  const { transactionId, requestOptions } = await challenge2fa(h, userId);
  if (requestOptions === undefined) throw new Error("WebAuthn was not offered");
  const assertion = await client.get(requestOptions, key, { pin: PIN });
  return { transactionId, assertion, result: await verifyAssertion(h, transactionId, assertion) };
}

/** A full passwordless login with `key`. */
export async function loginPasswordless(h: Harness, key: EmulatedAuthenticator, client: WebAuthnClient = browser()) {
  const { transactionId, requestOptions } = await challengePasswordless(h);
  const assertion = await client.get(requestOptions, key, { pin: PIN });
  return { transactionId, assertion, result: await verifyAssertion(h, transactionId, assertion) };
}

/** The factors row of `factorId` as JSON text (less the `except` columns), to prove a refused call changed nothing. */
export async function factorRow(db: Queryable, factorId: string, except: string[] = []): Promise<string> {
  const r = await db.query<{ t: string }>(`SELECT (to_jsonb(f) - $2::text[])::text AS t FROM factors f WHERE id = $1::uuid`, [
    factorId,
    except,
  ]);
  return r.rows[0]?.t ?? "";
}

/** The stored signature counter of a factor. */
export async function signCount(db: Queryable, factorId: string): Promise<number> {
  const r = await db.query<{ n: number }>(`SELECT sign_count::integer AS n FROM factors WHERE id = $1::uuid`, [factorId]);
  return r.rows[0]?.n ?? -1;
}
