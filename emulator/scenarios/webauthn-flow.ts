import type { VerifyResponse } from "../../src/gen/twofold/v1/authentication_pb.js";
import type { Factor } from "../../src/gen/twofold/v1/types_pb.js";
import { FactorState, Provider, Purpose } from "../../src/gen/twofold/v1/types_pb.js";
import { WebAuthnClient, type EmulatedAuthenticator } from "../webauthn/client.js";
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from "../webauthn/types.js";
import { challengeOffering, reasonName } from "./login-flow.js";
import type { ScenarioContext } from "./types.js";

/** The PIN scenarios set on emulated FIDO2 keys and type at the browser's prompt. */
export const FIDO_PIN = "4711";

/** A browser on the relying party's page (its origin read from the service or `--origin`). */
export async function browserFor(ctx: ScenarioContext): Promise<WebAuthnClient> {
  const site = await ctx.webAuthnSite();
  return new WebAuthnClient({ origin: site.origin });
}

function parseJson<T>(ctx: ScenarioContext, text: string, what: string): T {
  ctx.check(text !== "", `the service sent no ${what}`);
  try {
    return JSON.parse(text) as T;
  } catch {
    return ctx.fail(`the service's ${what} is not JSON`);
  }
}

/** What Enrol answered for WebAuthn: the pending factor and the options to pass to `navigator.credentials.create`. */
export interface WebAuthnEnrolment {
  factor: Factor;
  options: PublicKeyCredentialCreationOptionsJSON;
}

/** Enrol with a `webauthn` spec; requires creation options back. */
export async function startWebAuthnEnrolment(ctx: ScenarioContext, passwordless: boolean): Promise<WebAuthnEnrolment> {
  const res = await ctx.clients.enrolment.enrol({
    userId: ctx.userId,
    label: passwordless ? "Passkey" : "Security key",
    spec: { case: "webauthn", value: { passwordless, userName: "emulated.user@example.com", userDisplayName: "Emulated user" } },
  });
  ctx.check(res.enrolment.case === "webauthn", "Enrol (webauthn) returned no WebAuthn enrolment");
  ctx.check(res.factor !== undefined && res.factor.id !== "", "Enrol (webauthn) returned no factor");
  const options = parseJson<PublicKeyCredentialCreationOptionsJSON>(ctx, res.enrolment.value.creationOptionsJson, "creation_options_json");
  return { factor: res.factor, options };
}

/**
 * The whole registration: Enrol, the browser's `create()` with the emulated
 * device, ConfirmEnrolment with the attestation. Returns the active factor
 * and the credential id.
 */
export async function enrolWebAuthn(
  ctx: ScenarioContext,
  browser: WebAuthnClient,
  device: EmulatedAuthenticator,
  opts: { passwordless?: boolean; pin?: string } = {},
): Promise<{ factor: Factor; credentialId: string }> {
  const { factor, options } = await startWebAuthnEnrolment(ctx, opts.passwordless ?? false);
  const credential = await browser.create(options, device, opts.pin === undefined ? {} : { pin: opts.pin });
  const res = await ctx.clients.enrolment.confirmEnrolment({
    userId: ctx.userId,
    factorId: factor.id,
    proof: { case: "webauthnAttestationJson", value: JSON.stringify(credential) },
  });
  ctx.check(res.confirmed, `ConfirmEnrolment refused the authenticator's attestation (reason ${reasonName(res.reason)})`);
  ctx.check(res.factor?.state === FactorState.ACTIVE, "ConfirmEnrolment confirmed but the WebAuthn factor is not ACTIVE");
  return { factor: res.factor, credentialId: credential.id };
}

/** A second-factor login with the device: Challenge (WebAuthn offered, with request options), `get()`, Verify. */
export async function loginWithWebAuthn(
  ctx: ScenarioContext,
  browser: WebAuthnClient,
  device: EmulatedAuthenticator,
  pin?: string,
): Promise<VerifyResponse> {
  const { challenge, option } = await challengeOffering(ctx, Provider.WEBAUTHN);
  const options = parseJson<PublicKeyCredentialRequestOptionsJSON>(ctx, option.webauthnRequestOptionsJson, "webauthn_request_options_json");
  const assertion = await browser.get(options, device, pin === undefined ? {} : { pin });
  return ctx.clients.auth.verify({ transactionId: challenge.transactionId, proof: { case: "webauthn", value: { assertionJson: JSON.stringify(assertion) } } });
}

/**
 * A passwordless login (no user id): Challenge PURPOSE_PASSWORDLESS, `get()`
 * with whatever credential `allowCredentialId` names (none: the device's
 * discoverable credential), Verify.
 */
export async function passwordlessLogin(
  ctx: ScenarioContext,
  browser: WebAuthnClient,
  device: EmulatedAuthenticator,
  pin: string,
  allowCredentialId?: string,
): Promise<VerifyResponse> {
  const challenge = await ctx.clients.auth.challenge({ userId: "", purpose: Purpose.PASSWORDLESS });
  const option = challenge.providers.find((p) => p.provider === Provider.WEBAUTHN);
  ctx.check(option !== undefined, "a passwordless Challenge offered no WebAuthn options");
  const options = parseJson<PublicKeyCredentialRequestOptionsJSON>(ctx, option.webauthnRequestOptionsJson, "webauthn_request_options_json");
  const asked = allowCredentialId === undefined ? options : { ...options, allowCredentials: [{ type: "public-key", id: allowCredentialId }] };
  const assertion = await browser.get(asked, device, { pin });
  return ctx.clients.auth.verify({ transactionId: challenge.transactionId, proof: { case: "webauthn", value: { assertionJson: JSON.stringify(assertion) } } });
}
