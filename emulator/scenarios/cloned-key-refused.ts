import { FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { Fido2Authenticator } from "../fido/authenticator.js";
import { expectRefused, expectVerified } from "./login-flow.js";
import { browserFor, enrolWebAuthn, FIDO_PIN, loginWithWebAuthn } from "./webauthn-flow.js";
import type { Scenario, ScenarioContext } from "./types.js";

/**
 * WebAuthn §6.1.1 signature counter: a key copied after registration (same
 * keys, same counter) logs in after the original; its counter does not move
 * past what the service stored, so the service refuses it and marks the factor.
 * The Nitrokey 3 legacy profile counts +1 per signature, so the clash is certain.
 */
export const clonedKeyRefused: Scenario = {
  name: "cloned-key-refused",
  description:
    "Register a Nitrokey 3 (counter +1), copy its whole state into a second device, log in with the original, then with the copy: " +
    "the copy is refused with CLONE_SUSPECTED and the factor is marked clone_suspected.",
  async run(ctx: ScenarioContext) {
    const ca = await ctx.attestationCa();
    const original = await Fido2Authenticator.create({ profile: "nitrokey-3-xn-legacy-counter", ca, pin: FIDO_PIN });
    const browser = await browserFor(ctx);
    const { factor } = await enrolWebAuthn(ctx, browser, original, { pin: FIDO_PIN });
    const clone = Fido2Authenticator.restore(original.exportState(), { ca });

    expectVerified(ctx, await loginWithWebAuthn(ctx, browser, original, FIDO_PIN), "the original key");
    expectRefused(ctx, await loginWithWebAuthn(ctx, browser, clone, FIDO_PIN), FailureReason.CLONE_SUSPECTED, "the cloned key");

    const { factors } = await ctx.clients.enrolment.listFactors({ userId: ctx.userId });
    const marked = factors.find((f) => f.id === factor.id);
    ctx.check(marked !== undefined, "the WebAuthn factor disappeared after the clone was refused");
    ctx.check(marked.cloneSuspected, "ListFactors does not mark the factor clone_suspected after a cloned key was refused");
    ctx.note(`clone refused at counter ${clone.signCount}; factor marked`);
  },
};
