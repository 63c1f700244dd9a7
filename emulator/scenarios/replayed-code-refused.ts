import { FailureReason, Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { expectRefused, expectVerified, loginWithOtp } from "./login-flow.js";
import { enrolAndConfirmTotp, nitrokeyPro, TOTP_PERIOD_SECONDS, totpCodeAt } from "./otp-flow.js";
import type { Scenario, ScenarioContext } from "./types.js";

/** RFC 6238 §5.2: a verifier must not accept the second attempt of the same OTP. */
export const replayedCodeRefused: Scenario = {
  name: "replayed-code-refused",
  description:
    "Log in with a Nitrokey Pro TOTP code, then send the very same code in a new login: it must be refused with reason REPLAYED " +
    "(a step is accepted at most once per factor).",
  async run(ctx: ScenarioContext) {
    const token = nitrokeyPro(ctx);
    const factor = await enrolAndConfirmTotp(ctx, token);
    const code = totpCodeAt(ctx, token, TOTP_PERIOD_SECONDS);
    expectVerified(ctx, await loginWithOtp(ctx, Provider.TOTP, code, factor.id), "the first use of a code");
    expectRefused(ctx, await loginWithOtp(ctx, Provider.TOTP, code, factor.id), FailureReason.REPLAYED, "the same code sent again");
    ctx.note("second use refused REPLAYED");
  },
};
