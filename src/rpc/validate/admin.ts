import { DEFAULT_AUDIT_PAGE_SIZE, MAX_AUDIT_PAGE_SIZE, MAX_PAGE_TOKEN_CHARS, type ResetScopeName } from "../../domain/admin/index.js";
import { invalidArgument } from "../../domain/errors.js";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { parseEnforcementPolicy, parseProviderPolicy, type EnforcementPolicy, type ProviderPolicy } from "../../domain/policy/index.js";
import { parseRelyingParty, type RelyingPartySettings } from "../../domain/relying-party/index.js";
import type {
  ClearThrottleRequest,
  GetUserStateRequest,
  ListAuditEventsRequest,
  ResetSecondFactorRequest,
  SetEnforcementPolicyRequest,
  SetProviderPolicyRequest,
  SetRelyingPartyRequest,
} from "../../gen/twofold/v1/admin_pb.js";
import { algorithmName, policyKindName, resetScopeName } from "../admin-mapping.js";
import { checkUserId, type Violations } from "./fields.js";

/**
 * Request validation for AdminService, in one place: every field checked,
 * every violation collected into one INVALID_ARGUMENT before anything touches
 * the database. The policy and relying-party rules are the domain's own pure
 * parsers (they normalise as they check); the domain then stores what they
 * return without checking it again.
 */

function done<T>(v: Violations, value: T): T {
  if (v.length > 0) throw invalidArgument(v);
  return value;
}

/** GetUserState and ClearThrottle: a user. */
export function parseUserRequest(req: GetUserStateRequest | ClearThrottleRequest): { userId: string } {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  return done(v, { userId: req.userId });
}

/** ResetSecondFactor: a user and a known scope (UNSPECIFIED is not one). */
export function parseResetSecondFactor(req: ResetSecondFactorRequest): { userId: string; scope: ResetScopeName } {
  const v: Violations = [];
  checkUserId(v, "user_id", req.userId);
  const scope = resetScopeName(req.scope);
  if (scope === "") v.push({ field: "scope", description: "must be one of ALL, TOTP, HOTP, WEBAUTHN, PASSWORDLESS, BACKUP_CODES, APP_PASSWORDS" });
  if (v.length > 0 || scope === "") throw invalidArgument(v);
  return { userId: req.userId, scope };
}

/** SetEnforcementPolicy: the policy, group lists deduplicated. */
export function parseSetEnforcementPolicy(req: SetEnforcementPolicyRequest): EnforcementPolicy {
  return parseEnforcementPolicy({ enforced: req.enforced, includeGroups: req.includeGroups, excludeGroups: req.excludeGroups });
}

/**
 * SetProviderPolicy: the enums mapped to the domain's names (an unknown
 * number to undefined, which the domain's parser names), the duration to
 * milliseconds (a malformed one to NaN), then the domain's rules.
 */
export function parseSetProviderPolicy(req: SetProviderPolicyRequest): ProviderPolicy {
  const lifetime = req.appPasswords?.maxLifetime;
  let maxLifetimeMs: number | undefined;
  if (lifetime !== undefined) {
    const { seconds, nanos } = lifetime;
    // A Duration's nanos are under a second and share the sign of its seconds.
    const wellFormed = Math.abs(nanos) < 1_000_000_000 && (seconds >= 0n ? nanos >= 0 : nanos <= 0);
    maxLifetimeMs = wellFormed ? durationMs(lifetime) : Number.NaN;
  }
  return parseProviderPolicy({
    disabledKinds: req.disabledKinds.map(policyKindName),
    totp:
      req.totp === undefined
        ? undefined
        : { algorithms: req.totp.allowedAlgorithms.map(algorithmName), digits: req.totp.allowedDigits, hardwareOnly: req.totp.hardwareOnly },
    appPasswords: req.appPasswords === undefined ? undefined : { maxLifetimeMs },
  });
}

/** SetRelyingParty: the relying party, normalised. */
export function parseSetRelyingParty(req: SetRelyingPartyRequest): RelyingPartySettings {
  return parseRelyingParty({
    rpId: req.rpId,
    rpName: req.rpName,
    allowedOrigins: req.allowedOrigins,
    allowedAaguids: req.allowedAaguids,
    attestationRootCertificates: req.attestationRootCertificates,
  });
}

/** ListAuditEvents: an optional user filter, a page size (0 means the default) and a token's outer shape (its MAC is the domain's). */
export function parseListAuditEvents(req: ListAuditEventsRequest): { userId: string; pageSize: number; pageToken: string } {
  const v: Violations = [];
  if (req.userId !== "") checkUserId(v, "user_id", req.userId);
  if (!Number.isInteger(req.pageSize) || req.pageSize < 0 || req.pageSize > MAX_AUDIT_PAGE_SIZE) {
    v.push({ field: "page_size", description: `must be 1-${MAX_AUDIT_PAGE_SIZE}, or 0 for ${DEFAULT_AUDIT_PAGE_SIZE}` });
  }
  if (req.pageToken.length > MAX_PAGE_TOKEN_CHARS || !/^[A-Za-z0-9_-]*$/.test(req.pageToken)) {
    v.push({ field: "page_token", description: "must be a next_page_token from a ListAuditEvents call with the same user_id" });
  }
  return done(v, { userId: req.userId, pageSize: req.pageSize === 0 ? DEFAULT_AUDIT_PAGE_SIZE : req.pageSize, pageToken: req.pageToken });
}
