import { invalidArgument } from "../../domain/errors.js";
import type { LoginProof } from "../../domain/factors/index.js";
import { MAX_GROUP_CHARS, MAX_POLICY_GROUPS } from "../../domain/policy/index.js";
import type { ChallengeRequest, VerifyRequest } from "../../gen/twofold/v1/authentication_pb.js";
import { Purpose } from "../../gen/twofold/v1/types_pb.js";
import { parseAssertionJson } from "./webauthn.js";
import { checkClientIp, checkEnum, checkOneofSet, checkOtpCode, checkText, checkUserId, checkUuid, type Violations } from "./fields.js";

/** Request validation for AuthenticationService, in one place (see enrolment.ts for the approach). */

/** Longest backup code input evaluated (a code is 19 characters with dashes; room for spaces). */
const MAX_BACKUP_CODE_INPUT_CHARS = 64;
const CONTROL = /[\p{Cc}\p{Cs}\u2028\u2029\uFFFD]/u;

/**
 * Verify's backup code proof: only empty, oversized or control-character
 * input is bad input. Anything else is evaluated, and a well-formed wrong
 * code is an ordinary WRONG_CODE outcome, not an error.
 */
function checkBackupCodeProof(v: Violations, field: string, code: string): void {
  if (code === "") v.push({ field, description: "must not be empty" });
  else if (code.length > MAX_BACKUP_CODE_INPUT_CHARS) v.push({ field, description: `must be at most ${MAX_BACKUP_CODE_INPUT_CHARS} characters` });
  else if (CONTROL.test(code)) v.push({ field, description: "must be valid UTF-8 without control characters" });
}

const KNOWN_PURPOSES = [Purpose.UNSPECIFIED, Purpose.SECOND_FACTOR, Purpose.PASSWORDLESS];

/** A validated ChallengeRequest. */
export interface ChallengeInput {
  /** UNSPECIFIED means a second-factor challenge, the common case. */
  purpose: "second_factor" | "passwordless";
  userId: string;
  userGroups: string[];
  clientIp: string;
}

/** Validates a ChallengeRequest (every violation at once) and returns the domain's input. */
export function parseChallenge(req: ChallengeRequest): ChallengeInput {
  const v: Violations = [];
  checkEnum(v, "purpose", req.purpose, KNOWN_PURPOSES);
  const purpose = req.purpose === Purpose.PASSWORDLESS ? "passwordless" : "second_factor";
  if (purpose === "second_factor") checkUserId(v, "user_id", req.userId);
  else if (req.userId !== "") v.push({ field: "user_id", description: "must be empty for PURPOSE_PASSWORDLESS" });
  if (req.userGroups.length > MAX_POLICY_GROUPS) {
    v.push({ field: "user_groups", description: `at most ${MAX_POLICY_GROUPS} groups` });
  } else {
    req.userGroups.forEach((g, i) => checkText(v, `user_groups[${i}]`, g, { min: 1, max: MAX_GROUP_CHARS }));
  }
  checkClientIp(v, "client_ip", req.clientIp);
  if (v.length > 0) throw invalidArgument(v);
  return { purpose, userId: req.userId, userGroups: req.userGroups, clientIp: req.clientIp };
}

/** A validated VerifyRequest: a proof the domain checks. */
export type VerifyInput = { kind: "proof"; transactionId: string; clientIp: string; proof: LoginProof };

/** Validates a VerifyRequest (every violation at once) and returns the domain's input. */
export function parseVerify(req: VerifyRequest): VerifyInput {
  const v: Violations = [];
  checkUuid(v, "transaction_id", req.transactionId);
  checkClientIp(v, "client_ip", req.clientIp);
  checkOneofSet(v, "proof", req.proof.case);
  const transactionId = req.transactionId.toLowerCase();
  if (req.proof.case === "otp") {
    const otp = req.proof.value;
    checkOtpCode(v, "proof.otp.code", otp.code);
    checkUuid(v, "proof.otp.factor_id", otp.factorId, true);
    if (v.length > 0) throw invalidArgument(v);
    const factorId = otp.factorId === "" ? undefined : otp.factorId.toLowerCase();
    return { kind: "proof", transactionId, clientIp: req.clientIp, proof: { kind: "otp", code: otp.code, factorId } };
  }
  if (req.proof.case === "backupCode") {
    const code = req.proof.value.code;
    checkBackupCodeProof(v, "proof.backup_code.code", code);
    if (v.length > 0) throw invalidArgument(v);
    return { kind: "proof", transactionId, clientIp: req.clientIp, proof: { kind: "backup_code", code } };
  }
  const assertion = req.proof.case === "webauthn"
    ? parseAssertionJson(v, "proof.webauthn.assertion_json", req.proof.value.assertionJson)
    : undefined;
  if (v.length > 0 || assertion === undefined) throw invalidArgument(v);
  return { kind: "proof", transactionId, clientIp: req.clientIp, proof: { kind: "webauthn", assertion } };
}
