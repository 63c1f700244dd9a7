import { FailureReason, Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { expectRefused, expectVerified, loginWithOtp, reasonName } from "./login-flow.js";
import { confirmWithCode, enrolOnNitrokey, hotpCode, nitrokeyPro, SLOT } from "./otp-flow.js";
import type { Scenario, ScenarioContext } from "./types.js";

/** Further than the service's HOTP look-ahead of 10, within its resync reach of 1000. */
const UNSEEN_PRESSES = 50;

/**
 * An HOTP token pressed many times away from the login page (docs/design.md "TOTP and
 * HOTP": look-ahead 10, resync up to 1000 steps ahead): its next code is out of
 * the look-ahead and refused, ResyncFactor with two consecutive codes
 * re-aligns the counter, and the code after that logs in at once.
 */
export const hotpDesyncResync: Scenario = {
  name: "hotp-desync-resync",
  description:
    `Enrol HOTP for a Nitrokey Pro HOTP slot, confirm and log in; press the button ${UNSEEN_PRESSES} times unseen: the next code is refused ` +
    "(RESYNC_NEEDED), ResyncFactor with the two following codes re-aligns the counter, and the next code logs in.",
  async run(ctx: ScenarioContext) {
    const token = nitrokeyPro(ctx);
    const pending = await enrolOnNitrokey(ctx, token, "hotp");
    await confirmWithCode(ctx, pending.id, hotpCode(ctx, token));
    expectVerified(ctx, await loginWithOtp(ctx, Provider.HOTP, hotpCode(ctx, token), pending.id), "the token's next HOTP code");

    token.faults = { hotpDesyncSteps: UNSEEN_PRESSES };
    const far = hotpCode(ctx, token);
    expectRefused(ctx, await loginWithOtp(ctx, Provider.HOTP, far, pending.id), FailureReason.RESYNC_NEEDED, `a code ${UNSEEN_PRESSES} presses ahead`);

    const code1 = hotpCode(ctx, token);
    const code2 = hotpCode(ctx, token);
    const resync = await ctx.clients.enrolment.resyncFactor({ userId: ctx.userId, factorId: pending.id, code1, code2 });
    ctx.check(resync.resynced, `ResyncFactor refused two consecutive codes (reason ${reasonName(resync.reason)})`);
    const expected = token.getHotpCounter(SLOT);
    ctx.check(
      resync.factor !== undefined && resync.factor.counter === expected,
      `after ResyncFactor the service expects counter ${String(resync.factor?.counter)}, the token is at ${expected}`,
    );

    expectVerified(ctx, await loginWithOtp(ctx, Provider.HOTP, hotpCode(ctx, token), pending.id), "the first code after the resync");
    ctx.note(`counter re-aligned to ${expected}`);
  },
};
