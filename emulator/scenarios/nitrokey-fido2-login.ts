import { Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { Fido2Authenticator } from "../fido/authenticator.js";
import { FIDO_PROFILES } from "../fido/profiles.js";
import { expectVerified } from "./login-flow.js";
import { browserFor, enrolWebAuthn, FIDO_PIN, loginWithWebAuthn } from "./webauthn-flow.js";
import type { Scenario, ScenarioContext } from "./types.js";

/**
 * A Nitrokey FIDO2 with a PIN as a WebAuthn second factor: registration with
 * packed attestation, then two logins (its signature counter jumps by 1–16
 * between them, which the service must accept).
 */
export const nitrokeyFido2Login: Scenario = {
  name: "nitrokey-fido2-login",
  description:
    "Register a Nitrokey FIDO2 (PIN set) as a WebAuthn second factor through the emulated browser, check the factor shows its AAGUID, " +
    "then log in twice with Challenge + Verify (the key's counter jumps between logins).",
  async run(ctx: ScenarioContext) {
    const key = await Fido2Authenticator.create({ profile: "nitrokey-fido2", ca: await ctx.attestationCa(), pin: FIDO_PIN });
    const browser = await browserFor(ctx);
    const { factor } = await enrolWebAuthn(ctx, browser, key, { pin: FIDO_PIN });
    const aaguid = FIDO_PROFILES["nitrokey-fido2"].aaguid;
    ctx.check(factor.aaguid.toLowerCase() === aaguid, `the factor's AAGUID is "${factor.aaguid}", expected the Nitrokey FIDO2's ${aaguid}`);
    for (const n of [1, 2]) {
      const context = expectVerified(ctx, await loginWithWebAuthn(ctx, browser, key, FIDO_PIN), `WebAuthn login ${n}`);
      ctx.check(context.provider === Provider.WEBAUTHN, `login ${n}'s provider is ${Provider[context.provider]}, expected WEBAUTHN`);
      ctx.check(context.factorId === factor.id, `login ${n} was attributed to another factor`);
      ctx.check(context.amr.includes("hwk"), `login ${n}'s amr (${context.amr.join(",")}) lacks "hwk"`);
    }
    ctx.note(`${factor.authenticatorName || "authenticator"} registered, 2 logins, counter at ${key.signCount}`);
  },
};
