import { Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { U2fToken } from "../u2f/u2f-token.js";
import { expectVerified } from "./login-flow.js";
import { browserFor, enrolWebAuthn, loginWithWebAuthn } from "./webauthn-flow.js";
import type { Scenario, ScenarioContext } from "./types.js";

/**
 * A Nitrokey FIDO U2F (CTAP1 only) through WebAuthn: the browser maps it to a
 * `fido-u2f` attestation with an all-zero AAGUID, and it logs in as a second
 * factor like any FIDO2 key.
 */
export const fidoU2fLogin: Scenario = {
  name: "fido-u2f-login",
  description:
    "Register a Nitrokey FIDO U2F (CTAP1, fido-u2f attestation, zero AAGUID) as a WebAuthn second factor, then log in twice with Challenge + Verify.",
  async run(ctx: ScenarioContext) {
    const token = await U2fToken.create({ ca: await ctx.attestationCa() });
    const browser = await browserFor(ctx);
    const { factor } = await enrolWebAuthn(ctx, browser, token);
    for (const n of [1, 2]) {
      const context = expectVerified(ctx, await loginWithWebAuthn(ctx, browser, token), `U2F login ${n}`);
      ctx.check(context.provider === Provider.WEBAUTHN, `login ${n}'s provider is ${Provider[context.provider]}, expected WEBAUTHN`);
      ctx.check(context.factorId === factor.id, `login ${n} was attributed to another factor`);
    }
    ctx.note("registered, 2 logins");
  },
};
