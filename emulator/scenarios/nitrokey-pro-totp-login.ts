import { Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { expectVerified, loginWithOtp } from "./login-flow.js";
import { enrolAndConfirmTotp, nitrokeyPro, TOTP_PERIOD_SECONDS, totpCodeAt } from "./otp-flow.js";
import type { Scenario, ScenarioContext } from "./types.js";

/**
 * The everyday hardware-token path: the service issues the secret, the
 * Nitrokey App writes it into a TOTP slot, the host sets the time, one code
 * confirms the enrolment and a later one logs in.
 */
export const nitrokeyProTotpLogin: Scenario = {
  name: "nitrokey-pro-totp-login",
  description:
    "Enrol TOTP for a Nitrokey Pro (token_profile NITROKEY_PRO), write the secret into TOTP slot 1 with the admin PIN, " +
    "set the token's time from the host, confirm with its code, then Challenge + Verify with the next step's code (the token's time set one period ahead instead of waiting).",
  async run(ctx: ScenarioContext) {
    const token = nitrokeyPro(ctx);
    const factor = await enrolAndConfirmTotp(ctx, token);
    const res = await loginWithOtp(ctx, Provider.TOTP, totpCodeAt(ctx, token, TOTP_PERIOD_SECONDS), factor.id);
    const context = expectVerified(ctx, res, "the next step's code");
    ctx.check(context.factorId === factor.id, "the login was attributed to another factor than the one enrolled");
    ctx.check(context.provider === Provider.TOTP, `the login's provider is ${Provider[context.provider]}, expected TOTP`);
    ctx.check(context.amr.includes("otp"), `the login's amr (${context.amr.join(",")}) lacks "otp"`);
    ctx.note(`logged in, amr ${context.amr.join(",")}`);
  },
};
