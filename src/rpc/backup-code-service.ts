import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { AppDeps } from "../app.js";
import { generateBackupCodes } from "../domain/backup-codes/generate.js";
import { resolveBackupCodeCount } from "../domain/backup-codes/rules.js";
import { getBackupCodeStatus } from "../domain/backup-codes/status.js";
import { invalidArgument } from "../domain/errors.js";
import { BackupCodeService } from "../gen/twofold/v1/backup_codes_pb.js";
import { present, userIdViolation } from "./backup-code-validate.js";
import { callerOf, requestMeta } from "./context.js";

/**
 * BackupCodeService: issue a list of one-time codes (shown once, stored as
 * keyed hashes) and report how many are left. Redemption is not here: it is
 * Verify's `backup_code` proof (domain/backup-codes/redeem.ts).
 */
export function backupCodeServiceImpl(deps: AppDeps): Partial<ServiceImpl<typeof BackupCodeService>> {
  return {
    async generateBackupCodes(req, ctx) {
      const violations = present(
        userIdViolation("user_id", req.userId),
        resolveBackupCodeCount(req.count) === undefined ? { field: "count", description: "must be between 1 and 20, or 0 for 10" } : undefined,
      );
      if (violations.length > 0) throw invalidArgument(violations);
      const generated = await generateBackupCodes(deps, requestMeta(ctx, ""), req.userId, req.count);
      return { codes: generated.codes, generatedAt: timestampFromDate(generated.generatedAt) };
    },

    async getBackupCodeStatus(req, ctx) {
      const violations = present(userIdViolation("user_id", req.userId));
      if (violations.length > 0) throw invalidArgument(violations);
      const status = await getBackupCodeStatus(deps, callerOf(ctx).tenant, req.userId);
      return {
        total: status.total,
        remaining: status.remaining,
        ...(status.generatedAt === undefined ? {} : { generatedAt: timestampFromDate(status.generatedAt) }),
      };
    },
  };
}
