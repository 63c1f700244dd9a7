import { Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { OtpDeviceError, OtpStatus } from "../oath/status.js";
import { expectVerified, loginWithOtp } from "./login-flow.js";
import { ADMIN_TMP, enrolAndConfirmTotp, nitrokeyPro, SLOT, TOTP_PERIOD_SECONDS, totpCodeAt, USER_PIN, USER_TMP } from "./otp-flow.js";
import type { Scenario, ScenarioContext } from "./types.js";

/**
 * A Nitrokey with "OTP requires user PIN" set: the device gives no code until
 * the user PIN is entered (libnitrokey NOT_AUTHORIZED), and a code made after
 * the PIN logs in like any other.
 */
export const pinProtectedOtpSlot: Scenario = {
  name: "pin-protected-otp-slot",
  description:
    "With the Nitrokey Pro's 'OTP requires user PIN' set, asking for a TOTP code without the user PIN is refused by the token (status NOT_AUTHORIZED); " +
    "after user authentication the token's codes confirm the enrolment and log in.",
  async run(ctx: ScenarioContext) {
    const token = nitrokeyPro(ctx);
    token.writeConfig({ otpRequiresUserPin: true }, ADMIN_TMP);
    token.userAuthenticate(USER_PIN, USER_TMP);
    const factor = await enrolAndConfirmTotp(ctx, token, USER_TMP);

    // A fresh plug-in: the user PIN must be entered again before any code.
    token.powerCycle();
    token.syncTimeFromHost();
    let refusal: unknown;
    try {
      ctx.secret(token.getTotpCode(SLOT));
    } catch (err) {
      refusal = err;
    }
    ctx.check(refusal !== undefined, "the token produced a TOTP code without the user PIN although 'OTP requires user PIN' is set");
    ctx.check(
      refusal instanceof OtpDeviceError && refusal.status === OtpStatus.NOT_AUTHORIZED,
      `the token refused a code without the user PIN with ${refusal instanceof Error ? refusal.message : String(refusal)}, expected NOT_AUTHORIZED`,
    );

    token.userAuthenticate(USER_PIN, USER_TMP);
    const code = totpCodeAt(ctx, token, TOTP_PERIOD_SECONDS, USER_TMP);
    const context = expectVerified(ctx, await loginWithOtp(ctx, Provider.TOTP, code, factor.id), "a code made after the user PIN");
    // RFC 8176: a code from a hardware token is proof of a hardware key.
    ctx.check(context.amr.includes("hwk"), `the login's amr is [${context.amr.join(",")}], expected it to include hwk for a Nitrokey slot`);
    ctx.note(`no code without PIN (NOT_AUTHORIZED); logged in after it, amr ${context.amr.join(",")}`);
  },
};
