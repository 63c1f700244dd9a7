import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { AppPasswordRefusal, AppPasswordView } from "../domain/app-passwords/index.js";
import { FailureReason, type AppPasswordSchema } from "../gen/twofold/v1/types_pb.js";

/** The wire form of an app password: never the password, never its hash (the view has neither). */
export function appPasswordToProto(p: AppPasswordView): MessageInitShape<typeof AppPasswordSchema> {
  return {
    id: p.id,
    name: p.name,
    scopes: p.scopes,
    createdAt: timestampFromDate(p.createdAt),
    lastUsedIp: p.lastUsedIp,
    ...(p.expiresAt === undefined ? {} : { expiresAt: timestampFromDate(p.expiresAt) }),
    ...(p.lastUsedAt === undefined ? {} : { lastUsedAt: timestampFromDate(p.lastUsedAt) }),
    ...(p.revokedAt === undefined ? {} : { revokedAt: timestampFromDate(p.revokedAt) }),
  };
}

/** Domain refusal reasons to the API's FailureReason. */
export const failureReasonOfRefusal: Record<AppPasswordRefusal, FailureReason> = {
  wrong_code: FailureReason.WRONG_CODE,
  expired: FailureReason.EXPIRED,
  revoked: FailureReason.REVOKED,
  out_of_scope: FailureReason.OUT_OF_SCOPE,
  provider_disabled: FailureReason.PROVIDER_DISABLED,
};
