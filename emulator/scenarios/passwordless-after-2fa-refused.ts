import { FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { Fido2Authenticator } from "../fido/authenticator.js";
import { WebAuthnError } from "../webauthn/errors.js";
import { expectRefused } from "./login-flow.js";
import { browserFor, enrolWebAuthn, FIDO_PIN, passwordlessLogin, startWebAuthnEnrolment } from "./webauthn-flow.js";
import type { Scenario, ScenarioContext } from "./types.js";

/**
 * docs/design.md "Passwordless WebAuthn login, kept apart": the key that is a user's
 * second factor must not also log them in without a password (one factor
 * twice). The service lists it in excludeCredentials, so the browser refuses
 * to register it again, and a passwordless login signed with it is refused
 * WRONG_ROLE. Another key can still become the user's passkey.
 */
export const passwordlessAfter2faRefused: Scenario = {
  name: "passwordless-after-2fa-refused",
  description:
    "Register a Nitrokey 3 as a second factor; registering the same key for passwordless is stopped by excludeCredentials (InvalidStateError), " +
    "a passwordless login signed with the second-factor credential is refused WRONG_ROLE, and a different key enrols and logs in passwordless.",
  async run(ctx: ScenarioContext) {
    const ca = await ctx.attestationCa();
    const key = await Fido2Authenticator.create({ profile: "nitrokey-3-xn", ca, pin: FIDO_PIN });
    const browser = await browserFor(ctx);
    const second = await enrolWebAuthn(ctx, browser, key, { pin: FIDO_PIN });

    const again = await startWebAuthnEnrolment(ctx, true);
    const excluded = (again.options.excludeCredentials ?? []).map((d) => d.id);
    ctx.check(excluded.includes(second.credentialId), "passwordless creation options do not exclude the user's second-factor credential");
    let refusal: unknown;
    try {
      await browser.create(again.options, key, { pin: FIDO_PIN });
    } catch (err) {
      refusal = err;
    }
    ctx.check(
      refusal instanceof WebAuthnError && refusal.name === "InvalidStateError",
      "the browser registered the second-factor key again for passwordless, expected InvalidStateError",
    );

    const res = await passwordlessLogin(ctx, browser, key, FIDO_PIN, second.credentialId);
    expectRefused(ctx, res, FailureReason.WRONG_ROLE, "a passwordless login signed with the second-factor credential");

    const passkey = await Fido2Authenticator.create({ profile: "nitrokey-3-xn", ca, pin: FIDO_PIN });
    await enrolWebAuthn(ctx, browser, passkey, { passwordless: true, pin: FIDO_PIN });
    const ok = await passwordlessLogin(ctx, browser, passkey, FIDO_PIN);
    ctx.check(ok.verified, `a passwordless login with the user's passkey was refused (reason ${FailureReason[ok.reason]})`);
    ctx.check(ok.context?.userId === ctx.userId, "the passwordless login did not name the passkey's user");
    ctx.note("same key refused for passwordless (excluded, WRONG_ROLE); another key logs in passwordless");
  },
};
