import type { OtpAlgorithm as AlgorithmName } from "../../core/index.js";
import { invalidArgument } from "../../domain/errors.js";
import type { TokenProfile as ProfileName } from "../../domain/factors/index.js";
import { resolveHotpSpec, type HotpSpecInput } from "../../domain/hotp/index.js";
import type { ResyncFactorInput } from "../../domain/resync/index.js";
import type { HotpSpec, ResyncFactorRequest } from "../../gen/twofold/v1/enrolment_pb.js";
import { OtpAlgorithm, TokenProfile } from "../../gen/twofold/v1/types_pb.js";
import {
  checkEnum,
  checkOtpCode,
  checkText,
  checkUserId,
  checkUuid,
  MAX_ACCOUNT_NAME_CHARS,
  MAX_ISSUER_CHARS,
  type Violations,
} from "./fields.js";

/** Request validation for HOTP enrolment and ResyncFactor (see enrolment.ts for the approach). */

const ALGORITHMS: Record<number, AlgorithmName | undefined> = {
  [OtpAlgorithm.UNSPECIFIED]: undefined,
  [OtpAlgorithm.SHA1]: "SHA1",
  [OtpAlgorithm.SHA256]: "SHA256",
  [OtpAlgorithm.SHA512]: "SHA512",
};
const PROFILES: Record<number, ProfileName> = {
  [TokenProfile.UNSPECIFIED]: "software",
  [TokenProfile.GENERIC]: "generic",
  [TokenProfile.NITROKEY_PRO]: "nitrokey_pro",
  [TokenProfile.NITROKEY_STORAGE]: "nitrokey_storage",
};
const KNOWN_ALGORITHMS = Object.keys(ALGORITHMS).map(Number);
const KNOWN_PROFILES = Object.keys(PROFILES).map(Number);

/** A validated HOTP Enrol request. */
export interface HotpEnrolInput {
  kind: "hotp";
  userId: string;
  label: string;
  spec: HotpSpecInput;
}

/**
 * Validates the `spec.hotp` part of an EnrolRequest, adding to the violations
 * already found for user_id and label, and throws one INVALID_ARGUMENT naming
 * every bad field (`spec.hotp.algorithm`, `spec.hotp.secret`, …).
 */
export function parseHotpEnrol(v: Violations, userId: string, label: string, h: HotpSpec): HotpEnrolInput {
  checkEnum(v, "spec.hotp.algorithm", h.algorithm, KNOWN_ALGORITHMS);
  checkEnum(v, "spec.hotp.token_profile", h.tokenProfile, KNOWN_PROFILES);
  checkText(v, "spec.hotp.issuer", h.issuer, { min: 0, max: MAX_ISSUER_CHARS, noColon: true });
  checkText(v, "spec.hotp.account_name", h.accountName, { min: 0, max: MAX_ACCOUNT_NAME_CHARS, noColon: true });
  const spec: HotpSpecInput = {
    algorithm: ALGORITHMS[h.algorithm],
    digits: h.digits,
    secret: h.secret,
    counter: h.counter,
    issuer: h.issuer,
    accountName: h.accountName,
    tokenProfile: PROFILES[h.tokenProfile] ?? "software",
  };
  // The spec's own rules; profile rules only once the enums are known values.
  const enumsOk = KNOWN_ALGORITHMS.includes(h.algorithm) && KNOWN_PROFILES.includes(h.tokenProfile);
  const resolved = resolveHotpSpec(spec);
  if (!resolved.ok) {
    for (const x of resolved.violations) {
      if (enumsOk || x.field !== "algorithm") v.push({ ...x, field: `spec.hotp.${x.field}` });
    }
  }
  if (v.length > 0) throw invalidArgument(v);
  return { kind: "hotp", userId, label, spec };
}

/** Validates a ResyncFactorRequest: both codes 6 or 8 digits; ids lower-cased as Postgres prints UUIDs. */
export function parseResyncFactor(req: ResyncFactorRequest): ResyncFactorInput {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  checkUuid(v, "factor_id", req.factorId);
  checkOtpCode(v, "code1", req.code1);
  checkOtpCode(v, "code2", req.code2);
  if (req.code1.length !== req.code2.length && v.length === 0) {
    v.push({ field: "code2", description: "must have as many digits as code1" });
  }
  if (v.length > 0) throw invalidArgument(v);
  return { userId: req.userId, factorId: req.factorId.toLowerCase(), code1: req.code1, code2: req.code2 };
}
