import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import type { OtpAlgorithm as AlgorithmName } from "../../core/index.js";
import { invalidArgument } from "../../domain/errors.js";
import { MAX_LABEL_CHARS, type TokenProfile as ProfileName } from "../../domain/factors/index.js";
import { resolveOtpSpec, type OtpSpec, type ResyncFactorInput } from "../../domain/otp/index.js";
import type {
  ConfirmEnrolmentRequest,
  EnrolRequest,
  HotpSpec,
  ListFactorsRequest,
  RemoveFactorRequest,
  RenameFactorRequest,
  ResyncFactorRequest,
  TotpSpec,
} from "../../gen/twofold/v1/enrolment_pb.js";
import { OtpAlgorithm, TokenProfile } from "../../gen/twofold/v1/types_pb.js";
import {
  checkEnum,
  checkOneofSet,
  checkOtpCode,
  checkText,
  checkUserId,
  checkUuid,
  MAX_ACCOUNT_NAME_CHARS,
  MAX_ISSUER_CHARS,
  type Violations,
} from "./fields.js";
import { checkWebAuthnSpec, parseAttestationJson, type WebAuthnSpecInput } from "./webauthn.js";

/**
 * Request validation for EnrolmentService, in one place: every field checked,
 * every violation collected, one INVALID_ARGUMENT, before anything touches
 * the database. Each parser returns the domain's input, free of protobuf
 * types; an OTP spec comes back resolved (resolveOtpSpec), so the domain
 * never checks it again.
 */

function done<T>(v: Violations, value: T): T {
  if (v.length > 0) throw invalidArgument(v);
  return value;
}

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

/**
 * The `spec.totp` or `spec.hotp` part: the enums known, issuer and account
 * name short and colon-free, then the spec's own rules (resolveOtpSpec),
 * naming every field under `spec.<kind>`. Rules that depend on the algorithm
 * or profile are judged only once those enums are known values.
 */
function parseOtpSpec(v: Violations, kind: "totp" | "hotp", s: TotpSpec | HotpSpec): OtpSpec | undefined {
  const prefix = `spec.${kind}`;
  checkEnum(v, `${prefix}.algorithm`, s.algorithm, KNOWN_ALGORITHMS);
  checkEnum(v, `${prefix}.token_profile`, s.tokenProfile, KNOWN_PROFILES);
  checkText(v, `${prefix}.issuer`, s.issuer, { min: 0, max: MAX_ISSUER_CHARS, noColon: true });
  checkText(v, `${prefix}.account_name`, s.accountName, { min: 0, max: MAX_ACCOUNT_NAME_CHARS, noColon: true });
  const enumsOk = KNOWN_ALGORITHMS.includes(s.algorithm) && KNOWN_PROFILES.includes(s.tokenProfile);
  const resolved = resolveOtpSpec({
    kind,
    algorithm: ALGORITHMS[s.algorithm],
    digits: s.digits,
    periodSeconds: "periodSeconds" in s ? s.periodSeconds : 0,
    secret: s.secret,
    counter: "counter" in s ? s.counter : 0n,
    issuer: s.issuer,
    accountName: s.accountName,
    tokenProfile: PROFILES[s.tokenProfile] ?? "software",
  });
  if (resolved.ok) return resolved.spec;
  for (const x of resolved.violations) {
    if (enumsOk || x.field !== "algorithm") v.push({ ...x, field: `${prefix}.${x.field}` });
  }
  return undefined;
}

/** A validated EnrolRequest: the factor kind with its spec. */
export type EnrolInput =
  | { kind: "otp"; userId: string; label: string; spec: OtpSpec }
  | { kind: "webauthn"; userId: string; label: string; spec: WebAuthnSpecInput };

/** Validates an EnrolRequest, including what the token profile can hold. */
export function parseEnrol(req: EnrolRequest): EnrolInput {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  checkText(v, "label", req.label, { min: 1, max: MAX_LABEL_CHARS });
  checkOneofSet(v, "spec", req.spec.case);
  if (req.spec.case === undefined) throw invalidArgument(v);
  if (req.spec.case === "webauthn") {
    const spec = checkWebAuthnSpec(v, "spec.webauthn", req.spec.value);
    return done(v, { kind: "webauthn", userId: req.userId, label: req.label, spec });
  }
  const spec = parseOtpSpec(v, req.spec.case, req.spec.value);
  if (spec === undefined) throw invalidArgument(v);
  return done(v, { kind: "otp", userId: req.userId, label: req.label, spec });
}

/** A validated ConfirmEnrolmentRequest. */
export type ConfirmInput =
  | { kind: "otp"; userId: string; factorId: string; code: string }
  | { kind: "webauthn"; userId: string; factorId: string; attestation: RegistrationResponseJSON };

/** Validates a ConfirmEnrolmentRequest; ids are lower-cased as Postgres prints UUIDs. */
export function parseConfirmEnrolment(req: ConfirmEnrolmentRequest): ConfirmInput {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  checkUuid(v, "factor_id", req.factorId);
  checkOneofSet(v, "proof", req.proof.case);
  if (req.proof.case === "otpCode") {
    checkOtpCode(v, "otp_code", req.proof.value);
    return done(v, { kind: "otp", userId: req.userId, factorId: req.factorId.toLowerCase(), code: req.proof.value });
  }
  const attestation = req.proof.case === "webauthnAttestationJson"
    ? parseAttestationJson(v, "proof.webauthn_attestation_json", req.proof.value)
    : undefined;
  if (attestation === undefined) throw invalidArgument(v);
  return done(v, { kind: "webauthn", userId: req.userId, factorId: req.factorId.toLowerCase(), attestation });
}

/** Validates a ListFactorsRequest. */
export function parseListFactors(req: ListFactorsRequest): { userId: string } {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  return done(v, { userId: req.userId });
}

/** Validates a RenameFactorRequest: the new label is 1-64 printable characters. */
export function parseRenameFactor(req: RenameFactorRequest): { userId: string; factorId: string; label: string } {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  checkUuid(v, "factor_id", req.factorId);
  checkText(v, "label", req.label, { min: 1, max: MAX_LABEL_CHARS });
  return done(v, { userId: req.userId, factorId: req.factorId.toLowerCase(), label: req.label });
}

/** Validates a RemoveFactorRequest. */
export function parseRemoveFactor(req: RemoveFactorRequest): { userId: string; factorId: string } {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  checkUuid(v, "factor_id", req.factorId);
  return done(v, { userId: req.userId, factorId: req.factorId.toLowerCase() });
}

/** Validates a ResyncFactorRequest: both codes 6 or 8 digits and as long as each other. */
export function parseResyncFactor(req: ResyncFactorRequest): ResyncFactorInput {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  checkUuid(v, "factor_id", req.factorId);
  checkOtpCode(v, "code1", req.code1);
  checkOtpCode(v, "code2", req.code2);
  if (req.code1.length !== req.code2.length && v.length === 0) {
    v.push({ field: "code2", description: "must have as many digits as code1" });
  }
  return done(v, { userId: req.userId, factorId: req.factorId.toLowerCase(), code1: req.code1, code2: req.code2 });
}
