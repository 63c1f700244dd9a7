import { FailureReason, Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { expectRefused, expectVerified, loginWithOtp } from "./login-flow.js";
import { enrolAndConfirmTotp, hostSeconds, nitrokeyPro, TOTP_PERIOD_SECONDS, totpCodeAt } from "./otp-flow.js";
import type { Scenario, ScenarioContext } from "./types.js";

const LATE_SECONDS = 70;
const P = TOTP_PERIOD_SECONDS;
/** Play the late codes early in a step, so "70 s late" is three whole steps behind the service, not two. */
const LATEST_PHASE_SECONDS = 8;

/**
 * A token whose host set its clock 70 s late (docs/design.md "TOTP and HOTP"): its code
 * is 3 steps behind, outside the ±1 window but within ±10, so the service
 * refuses it asking for a resync; the token's next code, from the same
 * offset, re-learns the drift and logs in; later codes log in at once, and
 * the drift is reported.
 *
 * The service keeps real time and the confirmation burns the current step, so
 * a late code is only new once the service's clock has moved on: the scenario
 * waits until four steps after the confirmation (about two minutes against a
 * live service). The token's "next code" is played by moving its time one
 * period on instead of waiting another 30 s.
 */
export const drift70sLate: Scenario = {
  name: "drift-70s-late",
  description:
    "A Nitrokey Pro whose host set its time 70 s late: its first code is refused with RESYNC_NEEDED, the next consecutive code " +
    "re-learns the drift and logs in with drift_seconds of -60 or -90, a later code logs in at once. Waits about 2 minutes for the service's clock.",
  async run(ctx: ScenarioContext) {
    const token = nitrokeyPro(ctx);
    const factor = await enrolAndConfirmTotp(ctx, token);

    // Ensure a code 70 s late is of a step after the confirmed one, and three steps behind the service.
    const confirmedStep = Math.floor(hostSeconds(ctx) / P);
    await ctx.sleep(((confirmedStep + 4) * P + 1) * 1000 - ctx.clock.now().getTime());
    const phase = hostSeconds(ctx) % P;
    if (phase >= LATEST_PHASE_SECONDS) await ctx.sleep((P - phase + 1) * 1000);

    const first = totpCodeAt(ctx, token, -LATE_SECONDS);
    expectRefused(ctx, await loginWithOtp(ctx, Provider.TOTP, first, factor.id), FailureReason.RESYNC_NEEDED, "a code 70 s late");

    const second = totpCodeAt(ctx, token, -LATE_SECONDS + P);
    const resynced = expectVerified(ctx, await loginWithOtp(ctx, Provider.TOTP, second, factor.id), "the late token's next code");
    const drift = resynced.driftSeconds;
    ctx.check(
      drift <= -2 * P && drift >= -3 * P,
      `after the resync the service reported drift_seconds ${drift}, expected -${2 * P} or -${3 * P} (70 s late in whole steps)`,
    );

    const third = totpCodeAt(ctx, token, -LATE_SECONDS + 2 * P);
    const later = expectVerified(ctx, await loginWithOtp(ctx, Provider.TOTP, third, factor.id), "a later code of the late token");
    ctx.check(later.driftSeconds < 0, `a later login reported drift_seconds ${later.driftSeconds}, expected the token still behind`);
    ctx.note(`RESYNC_NEEDED, then resynced with drift ${drift} s`);
  },
};
