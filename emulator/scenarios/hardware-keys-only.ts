import { Code, TwofoldError } from "../../src/client/index.js";
import { ProviderKind } from "../../src/gen/twofold/v1/admin_pb.js";
import { OtpAlgorithm, Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { expectVerified, loginWithOtp } from "./login-flow.js";
import { enrolAndConfirmTotp, nitrokeyPro, TOTP_PERIOD_SECONDS, totpCodeAt } from "./otp-flow.js";
import type { Scenario, ScenarioContext } from "./types.js";

/**
 * A tenant whose provider policy allows TOTP on hardware tokens only
 * (docs/design.md "Provider policy"): an authenticator app's enrolment is
 * refused naming the token profile, and a Nitrokey Pro enrols and logs in.
 * The tenant's previous policy is put back afterwards, whatever happened.
 */
export const hardwareKeysOnly: Scenario = {
  name: "hardware-keys-only",
  description:
    "Needs an admin key. Set the tenant's provider policy to hardware-only TOTP (SetProviderPolicy), try to enrol a software authenticator app " +
    "(refused: FAILED_PRECONDITION PROVIDER_POLICY_LIMIT on spec.totp.token_profile), then enrol a Nitrokey Pro TOTP slot and log in with it; " +
    "the tenant's previous policy is restored afterwards.",
  async run(ctx: ScenarioContext) {
    const admin = ctx.clients.admin;
    const previous = (await admin.getProviderPolicy({})).policy;
    await admin.setProviderPolicy({
      disabledKinds: previous?.disabledKinds.filter((k) => k !== ProviderKind.TOTP) ?? [],
      totp: { allowedAlgorithms: [OtpAlgorithm.SHA1, OtpAlgorithm.SHA256, OtpAlgorithm.SHA512], allowedDigits: [6, 8], hardwareOnly: true },
      ...(previous?.appPasswords === undefined ? {} : { appPasswords: previous.appPasswords }),
    });
    try {
      let refusal: unknown;
      try {
        await ctx.clients.enrolment.enrol({ userId: ctx.userId, label: "Phone", spec: { case: "totp", value: {} } });
      } catch (err) {
        refusal = err;
      }
      ctx.check(refusal !== undefined, "Enrol accepted a software authenticator app although the tenant allows hardware tokens only");
      ctx.check(
        refusal instanceof TwofoldError && refusal.code === Code.FailedPrecondition && refusal.reason === "PROVIDER_POLICY_LIMIT",
        `Enrol refused the app with ${refusal instanceof TwofoldError ? `${Code[refusal.code]} ${refusal.reason ?? ""}` : String(refusal)}, expected FAILED_PRECONDITION PROVIDER_POLICY_LIMIT`,
      );
      const fields = refusal.fieldViolations.map((v) => v.field);
      ctx.check(fields.join(",") === "spec.totp.token_profile", `the refusal named [${fields.join(",")}], expected spec.totp.token_profile`);

      const token = nitrokeyPro(ctx);
      const factor = await enrolAndConfirmTotp(ctx, token);
      const context = expectVerified(ctx, await loginWithOtp(ctx, Provider.TOTP, totpCodeAt(ctx, token, TOTP_PERIOD_SECONDS), factor.id), "the Nitrokey's code");
      ctx.check(context.amr.includes("hwk"), `the login's amr is [${context.amr.join(",")}], expected hwk for a Nitrokey slot`);
      ctx.note(`app refused (${refusal.reason}); Nitrokey Pro logged in, amr ${context.amr.join(",")}`);
    } finally {
      await admin.setProviderPolicy({
        disabledKinds: previous?.disabledKinds ?? [],
        ...(previous?.totp === undefined ? {} : { totp: previous.totp }),
        ...(previous?.appPasswords === undefined ? {} : { appPasswords: previous.appPasswords }),
      });
    }
  },
};
