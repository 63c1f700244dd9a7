import { FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { expectRefused, reasonName } from "./login-flow.js";
import type { Scenario, ScenarioContext } from "./types.js";

/**
 * A mail client that cannot do 2FA gets an app password: it works for its own
 * scopes only, and not at all once revoked.
 */
export const mailClientAppPassword: Scenario = {
  name: "mail-client-app-password",
  description:
    'CreateAppPassword "Thunderbird" for imap and smtp: VerifyAppPassword for imap succeeds, for caldav is refused OUT_OF_SCOPE; ' +
    "after RevokeAppPassword it is refused REVOKED.",
  async run(ctx: ScenarioContext) {
    const created = await ctx.clients.appPasswords.createAppPassword({ userId: ctx.userId, name: "Thunderbird", scopes: ["imap", "smtp"] });
    const password = ctx.secret(created.password);
    const id = created.appPassword?.id ?? "";
    ctx.check(password !== "" && id !== "", "CreateAppPassword returned no password or no id");
    ctx.check(created.appPassword?.name === "Thunderbird", "CreateAppPassword did not keep the device name");

    const imap = await ctx.clients.appPasswords.verifyAppPassword({ userId: ctx.userId, password, requiredScope: "imap", clientIp: "192.0.2.10" });
    ctx.check(imap.verified, `the app password was refused for imap, one of its scopes (reason ${reasonName(imap.reason)})`);
    ctx.check(imap.appPassword?.id === id, "VerifyAppPassword matched another app password than the one created");

    const caldav = await ctx.clients.appPasswords.verifyAppPassword({ userId: ctx.userId, password, requiredScope: "caldav", clientIp: "192.0.2.10" });
    expectRefused(ctx, caldav, FailureReason.OUT_OF_SCOPE, "the app password for caldav (not one of its scopes)");

    await ctx.clients.appPasswords.revokeAppPassword({ userId: ctx.userId, appPasswordId: id });
    const revoked = await ctx.clients.appPasswords.verifyAppPassword({ userId: ctx.userId, password, requiredScope: "imap", clientIp: "192.0.2.10" });
    expectRefused(ctx, revoked, FailureReason.REVOKED, "the revoked app password for imap");
    ctx.note("imap ok; caldav OUT_OF_SCOPE; after revoke REVOKED");
  },
};
