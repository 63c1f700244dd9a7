import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import { invalidArgument } from "../../domain/errors.js";
import { resolveTotpSpec, type TotpSpecInput } from "../../domain/totp/index.js";
import type {
  ConfirmEnrolmentRequest,
  EnrolRequest,
  ListFactorsRequest,
  RemoveFactorRequest,
  RenameFactorRequest,
} from "../../gen/twofold/v1/enrolment_pb.js";
import { checkOneofSet, checkOtpCode, checkText, checkUserId, checkUuid, MAX_LABEL_CHARS, type Violations } from "./fields.js";
import { parseHotpEnrol, type HotpEnrolInput } from "./hotp.js";
import { checkOtpSpecFields } from "./otp-spec-fields.js";
import { checkWebAuthnSpec, parseAttestationJson, type WebAuthnSpecInput } from "./webauthn.js";

/**
 * Request validation for EnrolmentService: every field checked, every
 * violation collected, one INVALID_ARGUMENT, before anything touches the
 * database. Each parser returns the domain's input, free of protobuf types.
 */

function done<T>(v: Violations, value: T): T {
  if (v.length > 0) throw invalidArgument(v);
  return value;
}

/** A validated EnrolRequest: the factor kind with its spec, free of protobuf types. */
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
  const { algorithm, tokenProfile, enumsOk } = checkOtpSpecFields(v, "spec.totp", t);
  const spec: TotpSpecInput = {
    algorithm,
    digits: t.digits,
    periodSeconds: t.periodSeconds,
    secret: t.secret,
    issuer: t.issuer,
    accountName: t.accountName,
    tokenProfile,
  };
  // The spec's own rules (digits, period, secret length, what the token profile can hold).
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
