import { Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { challengeOffering, expectVerified, reasonName } from "./login-flow.js";
import { enrolAndConfirmTotp, nitrokeyPro } from "./otp-flow.js";
import type { Scenario, ScenarioContext } from "./types.js";

/**
 * The user lost their token: a backup code logs them in once, the count of
 * codes left drops by one, and the spent code is refused afterwards.
 */
export const lostTokenBackupCode: Scenario = {
  name: "lost-token-backup-code",
  description:
    "Enrol a Nitrokey Pro TOTP factor and generate backup codes, then lose the token: Challenge offers BACKUP_CODE, a backup code logs in, " +
    "backup_codes_remaining drops by one, and the same backup code is refused the next time.",
  async run(ctx: ScenarioContext) {
    await enrolAndConfirmTotp(ctx, nitrokeyPro(ctx));
    const generated = await ctx.clients.backupCodes.generateBackupCodes({ userId: ctx.userId, count: 10 });
    const codes = generated.codes.map((c) => ctx.secret(c));
    ctx.check(codes.length === 10, `GenerateBackupCodes returned ${codes.length} codes, asked for 10`);
    const before = await ctx.clients.backupCodes.getBackupCodeStatus({ userId: ctx.userId });
    ctx.check(before.remaining === 10, `GetBackupCodeStatus reports ${before.remaining} codes left of a new list of 10`);

    // The token is gone: only the printed list is left.
    const code = codes[3]!;
    const { challenge } = await challengeOffering(ctx, Provider.BACKUP_CODE);
    ctx.check(
      challenge.providers.some((p) => p.provider === Provider.TOTP),
      "Challenge did not list the user's TOTP factor beside the backup codes",
    );
    const res = await ctx.clients.auth.verify({ transactionId: challenge.transactionId, proof: { case: "backupCode", value: { code } } });
    const context = expectVerified(ctx, res, "a backup code");
    ctx.check(context.provider === Provider.BACKUP_CODE, `the login's provider is ${Provider[context.provider]}, expected BACKUP_CODE`);
    ctx.check(
      context.backupCodesRemaining === before.remaining - 1,
      `backup_codes_remaining is ${context.backupCodesRemaining} after one use, expected ${before.remaining - 1}`,
    );
    const after = await ctx.clients.backupCodes.getBackupCodeStatus({ userId: ctx.userId });
    ctx.check(after.remaining === before.remaining - 1, `GetBackupCodeStatus reports ${after.remaining} left after one use, expected ${before.remaining - 1}`);

    const again = await challengeOffering(ctx, Provider.BACKUP_CODE);
    const reuse = await ctx.clients.auth.verify({ transactionId: again.challenge.transactionId, proof: { case: "backupCode", value: { code } } });
    ctx.check(!reuse.verified, "a spent backup code logged in a second time");
    ctx.note(`${context.backupCodesRemaining} codes left; reuse refused ${reasonName(reuse.reason)}`);
  },
};
