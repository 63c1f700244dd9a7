import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { OtpAlgorithm as AlgorithmName } from "../core/index.js";
import type { AuditEventRecord, ResetScopeName, ThrottleView } from "../domain/admin/index.js";
import type { BackupCodeStatus } from "../domain/backup-codes/index.js";
import type { EnforcementPolicy, PolicyKind, ProviderPolicy } from "../domain/policy/index.js";
import type { RelyingPartySettings } from "../domain/relying-party/index.js";
import {
  ProviderKind,
  ResetScope,
  type AuditEventSchema,
  type EnforcementPolicySchema,
  type ProviderPolicySchema,
  type RelyingPartySchema,
  type ThrottleStateSchema,
} from "../gen/twofold/v1/admin_pb.js";
import { OtpAlgorithm, type BackupCodeStatusSchema } from "../gen/twofold/v1/types_pb.js";

/**
 * Wire forms of the admin domain's values, and the one enum mapping in.
 * The domain never sees protobuf types; this file is the boundary. Factors and
 * app passwords use the shared factor-mapping.ts and app-password-mapping.ts.
 */

/** ResetScope to the domain's scope name; "" for UNSPECIFIED or a number this build does not know. */
export function resetScopeName(scope: ResetScope): ResetScopeName | "" {
  switch (scope) {
    case ResetScope.ALL:
      return "all";
    case ResetScope.TOTP:
      return "totp";
    case ResetScope.HOTP:
      return "hotp";
    case ResetScope.WEBAUTHN:
      return "webauthn";
    case ResetScope.PASSWORDLESS:
      return "passwordless";
    case ResetScope.BACKUP_CODES:
      return "backup_codes";
    case ResetScope.APP_PASSWORDS:
      return "app_passwords";
    default:
      return "";
  }
}

export function backupCodeStatusToProto(s: BackupCodeStatus): MessageInitShape<typeof BackupCodeStatusSchema> {
  return {
    total: s.total,
    remaining: s.remaining,
    ...(s.generatedAt === undefined ? {} : { generatedAt: timestampFromDate(s.generatedAt) }),
  };
}

export function throttleToProto(t: ThrottleView): MessageInitShape<typeof ThrottleStateSchema> {
  return {
    consecutiveFailures: t.consecutiveFailures,
    ...(t.lastFailureAt === undefined ? {} : { lastFailureAt: timestampFromDate(t.lastFailureAt) }),
    ...(t.blockedUntil === undefined ? {} : { blockedUntil: timestampFromDate(t.blockedUntil) }),
  };
}

export function enforcementPolicyToProto(p: EnforcementPolicy): MessageInitShape<typeof EnforcementPolicySchema> {
  return { enforced: p.enforced, includeGroups: p.includeGroups, excludeGroups: p.excludeGroups };
}

export function relyingPartyToProto(rp: RelyingPartySettings): MessageInitShape<typeof RelyingPartySchema> {
  return {
    rpId: rp.rpId,
    rpName: rp.rpName,
    allowedOrigins: rp.allowedOrigins,
    allowedAaguids: rp.allowedAaguids,
    attestationRootCertificates: rp.attestationRootCertificates,
  };
}

export function auditEventToProto(e: AuditEventRecord): MessageInitShape<typeof AuditEventSchema> {
  return {
    id: String(e.id),
    userId: e.userId,
    kind: e.kind,
    factorId: e.factorId,
    time: timestampFromDate(e.at),
    apiKeyId: e.apiKeyId,
    clientIp: e.clientIp,
    details: e.details,
  };
}

const KIND: Record<PolicyKind, ProviderKind> = {
  totp: ProviderKind.TOTP,
  hotp: ProviderKind.HOTP,
  webauthn: ProviderKind.WEBAUTHN,
  passwordless: ProviderKind.PASSWORDLESS,
  backup_codes: ProviderKind.BACKUP_CODES,
  app_passwords: ProviderKind.APP_PASSWORDS,
};
const ALGORITHM: Record<AlgorithmName, OtpAlgorithm> = { SHA1: OtpAlgorithm.SHA1, SHA256: OtpAlgorithm.SHA256, SHA512: OtpAlgorithm.SHA512 };

/** ProviderKind to the domain's kind; undefined for UNSPECIFIED or a number this build does not know. */
export function policyKindName(kind: ProviderKind): PolicyKind | undefined {
  return (Object.keys(KIND) as PolicyKind[]).find((k) => KIND[k] === kind);
}

/** OtpAlgorithm to its name; undefined for UNSPECIFIED (a limit names its algorithms) or an unknown number. */
export function algorithmName(a: OtpAlgorithm): AlgorithmName | undefined {
  return (Object.keys(ALGORITHM) as AlgorithmName[]).find((k) => ALGORITHM[k] === a);
}

export function providerPolicyToProto(p: ProviderPolicy): MessageInitShape<typeof ProviderPolicySchema> {
  return {
    disabledKinds: p.disabledKinds.map((k) => KIND[k]),
    ...(p.totp === undefined
      ? {}
      : { totp: { allowedAlgorithms: p.totp.algorithms.map((a) => ALGORITHM[a]), allowedDigits: p.totp.digits, hardwareOnly: p.totp.hardwareOnly } }),
    ...(p.appPasswordMaxLifetimeMs === undefined ? {} : { appPasswords: { maxLifetime: durationFromMs(p.appPasswordMaxLifetimeMs) } }),
  };
}
