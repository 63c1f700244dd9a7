import { durationMs } from "@bufbuild/protobuf/wkt";
import {
  isScope,
  MAX_NAME_CHARS,
  MAX_PAGE_TOKEN_CHARS,
  MAX_SCOPES,
  MAX_TTL_MS,
  MIN_TTL_MS,
  type CreateAppPasswordInput,
  type VerifyAppPasswordInput,
} from "../../domain/app-passwords/index.js";
import { invalidArgument } from "../../domain/errors.js";
import type {
  CreateAppPasswordRequest,
  ListAppPasswordsRequest,
  RevokeAppPasswordRequest,
  VerifyAppPasswordRequest,
} from "../../gen/twofold/v1/app_passwords_pb.js";
import { checkClientIp, checkText, checkUserId, checkUuid, type Violations } from "./fields.js";

/**
 * Request validation for AppPasswordService, in one place: every
 * field checked with the shared field checks, every violation collected into
 * one INVALID_ARGUMENT, and the domain's input returned free of protobuf types.
 */

/** Longest typed password evaluated; a password is 29 characters with dashes. */
export const MAX_PASSWORD_INPUT_CHARS = 128;

const CONTROL = /[\p{Cc}\p{Cs}\u2028\u2029\uFFFD]/u;
const SCOPE_RULE = "must be 1-64 characters of a-z 0-9 . _ : -";

function done<T>(v: Violations, value: T): T {
  if (v.length > 0) throw invalidArgument(v);
  return value;
}

export function parseCreateAppPassword(req: CreateAppPasswordRequest): CreateAppPasswordInput {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  const before = v.length;
  checkText(v, "name", req.name, { min: 1, max: MAX_NAME_CHARS });
  if (v.length === before && req.name.trim() === "") v.push({ field: "name", description: "must not be blank" });
  if (req.scopes.length === 0 || req.scopes.length > MAX_SCOPES) {
    v.push({ field: "scopes", description: `must name 1-${MAX_SCOPES} scopes` });
  }
  req.scopes.forEach((s, i) => {
    if (!isScope(s)) v.push({ field: `scopes[${i}]`, description: SCOPE_RULE });
  });
  let ttlMs: number | undefined;
  if (req.ttl !== undefined) {
    const { seconds, nanos } = req.ttl;
    // A Duration's nanos are under a second and share the sign of its seconds.
    const wellFormed = Math.abs(nanos) < 1_000_000_000 && (seconds >= 0n ? nanos >= 0 : nanos <= 0);
    ttlMs = wellFormed ? durationMs(req.ttl) : Number.NaN;
    if (!(ttlMs >= MIN_TTL_MS && ttlMs <= MAX_TTL_MS)) v.push({ field: "ttl", description: "must be between 1 minute and 10 years" });
  }
  return done(v, { userId: req.userId, name: req.name, scopes: [...new Set(req.scopes)], ttlMs });
}

export function parseListAppPasswords(req: ListAppPasswordsRequest): { userId: string; pageSize: number; pageToken: string } {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  // The token's MAC is checked by the domain; here only its outer shape.
  if (req.pageToken.length > MAX_PAGE_TOKEN_CHARS || !/^[A-Za-z0-9_-]*$/.test(req.pageToken)) {
    v.push({ field: "page_token", description: "must be a next_page_token from an earlier call" });
  }
  return done(v, { userId: req.userId, pageSize: req.pageSize, pageToken: req.pageToken });
}

export function parseRevokeAppPassword(req: RevokeAppPasswordRequest): { userId: string; appPasswordId: string } {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  checkUuid(v, "app_password_id", req.appPasswordId);
  return done(v, { userId: req.userId, appPasswordId: req.appPasswordId.toLowerCase() });
}

/**
 * Only an empty, oversized or control-character password is bad input; any
 * other string is evaluated, and one that is not 25 Crockford symbols after
 * normalising is an ordinary WRONG_CODE outcome (counted by the throttle).
 */
export function parseVerifyAppPassword(req: VerifyAppPasswordRequest): VerifyAppPasswordInput & { clientIp: string } {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  if (req.password === "") v.push({ field: "password", description: "must not be empty" });
  else if (req.password.length > MAX_PASSWORD_INPUT_CHARS) v.push({ field: "password", description: `must be at most ${MAX_PASSWORD_INPUT_CHARS} characters` });
  else if (CONTROL.test(req.password)) v.push({ field: "password", description: "must be valid UTF-8 without control characters" });
  if (!isScope(req.requiredScope)) v.push({ field: "required_scope", description: SCOPE_RULE });
  checkClientIp(v, "client_ip", req.clientIp);
  return done(v, { userId: req.userId, password: req.password, requiredScope: req.requiredScope, clientIp: req.clientIp });
}
