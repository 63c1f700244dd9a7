import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { AppDeps } from "../app.js";
import { challenge, ChallengeMemory, verifyLogin, type TenantSettingsCache } from "../domain/login/index.js";
import { AuthenticationService } from "../gen/twofold/v1/authentication_pb.js";
import { requestMeta, callDeps } from "./context.js";
import { factorToProto, failureReasonToProto, providerToProto } from "./factor-mapping.js";
import { parseChallenge, parseVerify } from "./validate/authentication.js";

/**
 * AuthenticationService: Challenge opens a login transaction, Verify checks
 * one proof (OTP, backup code, WebAuthn). A passwordless Challenge opens a
 * transaction with no user; its Verify names the user. The service keeps
 * this replica's ChallengeMemory (TWOFOLD_CHALLENGE_MEMORY entries): an OTP
 * Verify of a transaction it opened is one statement. With the replica's
 * TenantSettingsCache, a Challenge reads only the user's rows.
 */
export function authenticationServiceImpl(base: AppDeps, settings?: TenantSettingsCache): Partial<ServiceImpl<typeof AuthenticationService>> {
  const memory = new ChallengeMemory(base.config.challengeMemory);
  return {
    async challenge(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseChallenge(req);
      const result = await challenge(deps, requestMeta(ctx, input.clientIp), input, memory, settings);
      return {
        transactionId: result.transactionId,
        expiresAt: timestampFromDate(result.expiresAt),
        secondFactorRequired: result.secondFactorRequired,
        enrolmentRequired: result.enrolmentRequired,
        providers: result.providers.map((p) => ({
          provider: providerToProto(p.provider),
          factors: p.factors.map(factorToProto),
          webauthnRequestOptionsJson: p.webauthnRequestOptionsJson ?? "",
        })),
      };
    },

    async verify(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseVerify(req);
      const result = await verifyLogin(deps, requestMeta(ctx, input.clientIp), input, memory);
      if (!result.verified) return { verified: false, reason: failureReasonToProto(result.reason) };
      const c = result.context;
      return {
        verified: true,
        context: {
          userId: c.userId,
          factorId: c.factorId,
          provider: providerToProto(c.provider),
          amr: c.amr,
          verifiedAt: timestampFromDate(c.verifiedAt),
          driftSeconds: c.driftSeconds,
          backupCodesRemaining: c.backupCodesRemaining,
        },
      };
    },
  };
}
