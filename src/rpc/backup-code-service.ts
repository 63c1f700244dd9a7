import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { AppDeps } from "../app.js";
import { generateBackupCodes, getBackupCodeStatus } from "../domain/backup-codes/index.js";
import { BackupCodeService } from "../gen/twofold/v1/backup_codes_pb.js";
import { parseGenerateBackupCodes, parseGetBackupCodeStatus } from "./validate/backup-codes.js";
import { callerOf, requestMeta, callDeps } from "./context.js";

/**
 * BackupCodeService: issue a list of one-time codes (shown once, stored as
 * keyed hashes) and report how many are left. Redemption is not here: it is
 * Verify's `backup_code` proof (domain/backup-codes/verify.ts).
 */
export function backupCodeServiceImpl(base: AppDeps): Partial<ServiceImpl<typeof BackupCodeService>> {
  return {
    async generateBackupCodes(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseGenerateBackupCodes(req);
      const generated = await generateBackupCodes(deps, requestMeta(ctx, ""), input.userId, input.count);
      return { codes: generated.codes, generatedAt: timestampFromDate(generated.generatedAt) };
    },

    async getBackupCodeStatus(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseGetBackupCodeStatus(req);
      const status = await getBackupCodeStatus(deps, callerOf(ctx).tenant, input.userId);
      return {
        total: status.total,
        remaining: status.remaining,
        ...(status.generatedAt === undefined ? {} : { generatedAt: timestampFromDate(status.generatedAt) }),
      };
    },
  };
}
