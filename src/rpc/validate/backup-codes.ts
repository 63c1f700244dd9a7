import { resolveBackupCodeCount } from "../../domain/backup-codes/index.js";
import { invalidArgument } from "../../domain/errors.js";
import type { GenerateBackupCodesRequest, GetBackupCodeStatusRequest } from "../../gen/twofold/v1/backup_codes_pb.js";
import { checkUserId, type Violations } from "./fields.js";

/**
 * Request validation for BackupCodeService, in one place: every field
 * checked, every violation collected into one INVALID_ARGUMENT before
 * anything touches the database.
 */

/** Validates a GenerateBackupCodesRequest; `count` comes back resolved (0 means 10). */
export function parseGenerateBackupCodes(req: GenerateBackupCodesRequest): { userId: string; count: number } {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  const count = resolveBackupCodeCount(req.count);
  if (count === undefined) v.push({ field: "count", description: "must be 1-20, or 0 for 10" });
  if (v.length > 0 || count === undefined) throw invalidArgument(v);
  return { userId: req.userId, count };
}

/** Validates a GetBackupCodeStatusRequest. */
export function parseGetBackupCodeStatus(req: GetBackupCodeStatusRequest): { userId: string } {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  if (v.length > 0) throw invalidArgument(v);
  return { userId: req.userId };
}
