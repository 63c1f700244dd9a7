import type { OtpAlgorithm as AlgorithmName } from "../../core/index.js";
import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import { invalidArgument } from "../../domain/errors.js";
import type { TokenProfile as ProfileName } from "../../domain/factors/index.js";
import { resolveTotpSpec, type TotpSpecInput } from "../../domain/totp/index.js";
import type {
  ConfirmEnrolmentRequest,
  EnrolRequest,
  ListFactorsRequest,
  RemoveFactorRequest,
  RenameFactorRequest,
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
  MAX_LABEL_CHARS,
  type Violations,
} from "./fields.js";
import { parseHotpEnrol, type HotpEnrolInput } from "./hotp.js";
import { checkWebAuthnSpec, parseAttestationJson, type WebAuthnSpecInput } from "./webauthn.js";

/**
 * Request validation for EnrolmentService: every field checked, every
 * violation collected, one INVALID_ARGUMENT, before anything touches the
 * database. Each parser returns the domain's input, free of protobuf types.
 */

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

function done<T>(v: Violations, value: T): T {
  if (v.length > 0) throw invalidArgument(v);
  return value;
}

/** A validated EnrolRequest: a TOTP spec for the domain, or a kind not implemented yet. */
export type EnrolInput =
  | { kind: "totp"; userId: string; label: string; spec: TotpSpecInput }
  | HotpEnrolInput
  | { kind: "webauthn"; userId: string; label: string; spec: WebAuthnSpecInput };

/** Validates an EnrolRequest, including what the token profile can hold. */
export function parseEnrol(req: EnrolRequest): EnrolInput {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  checkText(v, "label", req.label, { min: 1, max: MAX_LABEL_CHARS });
  checkOneofSet(v, "spec", req.spec.case);
  if (req.spec.case === undefined) throw invalidArgument(v);
  if (req.spec.case === "hotp") return parseHotpEnrol(v, req.userId, req.label, req.spec.value);
  if (req.spec.case === "webauthn") {
    const spec = checkWebAuthnSpec(v, "spec.webauthn", req.spec.value);
    return done(v, { kind: "webauthn", userId: req.userId, label: req.label, spec });
  }
  const t = req.spec.value;
  checkEnum(v, "spec.totp.algorithm", t.algorithm, KNOWN_ALGORITHMS);
  checkEnum(v, "spec.totp.token_profile", t.tokenProfile, KNOWN_PROFILES);
  checkText(v, "spec.totp.issuer", t.issuer, { min: 0, max: MAX_ISSUER_CHARS, noColon: true });
  checkText(v, "spec.totp.account_name", t.accountName, { min: 0, max: MAX_ACCOUNT_NAME_CHARS, noColon: true });
  const spec: TotpSpecInput = {
    algorithm: ALGORITHMS[t.algorithm],
    digits: t.digits,
    periodSeconds: t.periodSeconds,
    secret: t.secret,
    issuer: t.issuer,
    accountName: t.accountName,
    tokenProfile: PROFILES[t.tokenProfile] ?? "software",
  };
  // The spec's own rules (digits, period, secret length, what the token profile can hold).
  const enumsOk = KNOWN_ALGORITHMS.includes(t.algorithm) && KNOWN_PROFILES.includes(t.tokenProfile);
  const resolved = resolveTotpSpec(spec);
  if (!resolved.ok) {
    for (const x of resolved.violations) {
      if (enumsOk || x.field === "digits" || x.field === "period_seconds" || x.field === "secret") {
        v.push({ ...x, field: `spec.totp.${x.field}` });
      }
    }
  }
  return done(v, { kind: "totp", userId: req.userId, label: req.label, spec });
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
