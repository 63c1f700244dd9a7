import { invalidArgument } from "../../domain/errors.js";
import { resolveHotpSpec, type HotpSpecInput } from "../../domain/hotp/index.js";
import type { ResyncFactorInput } from "../../domain/resync/index.js";
import type { HotpSpec, ResyncFactorRequest } from "../../gen/twofold/v1/enrolment_pb.js";
import { checkOtpCode, checkUserId, checkUuid, type Violations } from "./fields.js";
import { checkOtpSpecFields } from "./otp-spec-fields.js";

/** Request validation for HOTP enrolment and ResyncFactor (see enrolment.ts for the approach). */

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
  const { algorithm, tokenProfile, enumsOk } = checkOtpSpecFields(v, "spec.hotp", h);
  const spec: HotpSpecInput = {
    algorithm,
    digits: h.digits,
    secret: h.secret,
    counter: h.counter,
    issuer: h.issuer,
    accountName: h.accountName,
    tokenProfile,
  };
  // The spec's own rules; profile rules only once the enums are known values.
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
