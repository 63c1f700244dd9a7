import { invalidArgument } from "../domain/errors.js";
import { resolveBackupCodeCount } from "../domain/backup-codes/rules.js";
import type { GenerateBackupCodesRequest, GetBackupCodeStatusRequest } from "../gen/twofold/v1/backup_codes_pb.js";
import { checkUserId, type Violations } from "./validate/fields.js";

/**
 * Request validation for BackupCodeService, in the manner of validate/: every
 * field checked with the shared field checks, every violation collected into
 * one INVALID_ARGUMENT before anything touches the database.
 */

export function parseGenerateBackupCodes(req: GenerateBackupCodesRequest): { userId: string; count: number } {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  if (resolveBackupCodeCount(req.count) === undefined) v.push({ field: "count", description: "must be 1-20, or 0 for 10" });
  if (v.length > 0) throw invalidArgument(v);
  return { userId: req.userId, count: req.count };
}

export function parseGetBackupCodeStatus(req: GetBackupCodeStatusRequest): { userId: string } {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  if (v.length > 0) throw invalidArgument(v);
  return { userId: req.userId };
}

/** Longest backup code input evaluated (a code is 19 characters with dashes; room for spaces). */
export const MAX_BACKUP_CODE_INPUT_CHARS = 64;

const CONTROL = /[\p{Cc}\p{Cs}\u2028\u2029\uFFFD]/u;

/**
 * Verify's backup code proof (`proof.backup_code.code`): only empty, oversized
 * or control-character input is bad input. Anything else is evaluated, and a
 * well-formed wrong code is an ordinary WRONG_CODE outcome, not an error.
 */
export function checkBackupCodeProof(v: Violations, field: string, code: string): void {
  if (code === "") v.push({ field, description: "must not be empty" });
  else if (code.length > MAX_BACKUP_CODE_INPUT_CHARS) v.push({ field, description: `must be at most ${MAX_BACKUP_CODE_INPUT_CHARS} characters` });
  else if (CONTROL.test(code)) v.push({ field, description: "must be valid UTF-8 without control characters" });
}
