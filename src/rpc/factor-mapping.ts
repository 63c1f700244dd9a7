import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { driftSeconds, type Factor, type FailureReason as ReasonName, type ProviderName } from "../domain/factors/index.js";
import {
  FactorKind,
  FactorState,
  FailureReason,
  OtpAlgorithm,
  Provider,
  TokenProfile,
  type FactorSchema,
} from "../gen/twofold/v1/types_pb.js";

/** Wire forms of factors, providers and failure reasons: the boundary the domain never crosses. */

const KIND: Record<Factor["kind"], FactorKind> = {
  totp: FactorKind.TOTP,
  hotp: FactorKind.HOTP,
  webauthn: FactorKind.WEBAUTHN,
  passwordless: FactorKind.PASSWORDLESS,
};
const STATE: Record<Factor["state"], FactorState> = { pending: FactorState.PENDING, active: FactorState.ACTIVE };
const ALGORITHM = { SHA1: OtpAlgorithm.SHA1, SHA256: OtpAlgorithm.SHA256, SHA512: OtpAlgorithm.SHA512 } as const;
const PROFILE: Record<Factor["tokenProfile"], TokenProfile> = {
  software: TokenProfile.UNSPECIFIED,
  generic: TokenProfile.GENERIC,
  nitrokey_pro: TokenProfile.NITROKEY_PRO,
  nitrokey_storage: TokenProfile.NITROKEY_STORAGE,
};
const REASON: Record<ReasonName, FailureReason> = {
  wrong_code: FailureReason.WRONG_CODE,
  replayed: FailureReason.REPLAYED,
  resync_needed: FailureReason.RESYNC_NEEDED,
  unknown_factor: FailureReason.UNKNOWN_FACTOR,
  clone_suspected: FailureReason.CLONE_SUSPECTED,
  invalid_assertion: FailureReason.INVALID_ASSERTION,
  wrong_role: FailureReason.WRONG_ROLE,
  authenticator_not_allowed: FailureReason.AUTHENTICATOR_NOT_ALLOWED,
  attestation_not_trusted: FailureReason.ATTESTATION_NOT_TRUSTED,
  provider_disabled: FailureReason.PROVIDER_DISABLED,
};
const PROVIDER: Record<ProviderName, Provider> = {
  totp: Provider.TOTP,
  hotp: Provider.HOTP,
  webauthn: Provider.WEBAUTHN,
  backup_code: Provider.BACKUP_CODE,
};

/** A domain Factor as the Factor message; never the secret, which the domain does not carry. */
export function factorToProto(f: Factor): MessageInitShape<typeof FactorSchema> {
  return {
    id: f.id,
    kind: KIND[f.kind],
    label: f.label,
    state: STATE[f.state],
    createdAt: timestampFromDate(f.createdAt),
    ...(f.confirmedAt === undefined ? {} : { confirmedAt: timestampFromDate(f.confirmedAt) }),
    ...(f.lastUsedAt === undefined ? {} : { lastUsedAt: timestampFromDate(f.lastUsedAt) }),
    ...(f.pendingExpiresAt === undefined ? {} : { pendingExpiresAt: timestampFromDate(f.pendingExpiresAt) }),
    algorithm: f.algorithm === undefined ? OtpAlgorithm.UNSPECIFIED : ALGORITHM[f.algorithm],
    digits: f.digits ?? 0,
    periodSeconds: f.periodSeconds ?? 0,
    driftSeconds: driftSeconds(f),
    tokenProfile: PROFILE[f.tokenProfile],
    counter: BigInt(f.counter ?? 0),
    aaguid: f.aaguid ?? "",
    authenticatorName: f.authenticatorName ?? "",
    cloneSuspected: f.cloneSuspected ?? false,
    disabledByPolicy: f.disabledByPolicy ?? false,
  };
}

/** A domain failure reason as the FailureReason enum. */
export function failureReasonToProto(r: ReasonName): FailureReason {
  return REASON[r];
}

/** A domain provider name as the Provider enum. */
export function providerToProto(p: ProviderName): Provider {
  return PROVIDER[p];
}
