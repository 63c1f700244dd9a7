import type { ServiceImpl } from "@connectrpc/connect";
import type { AppDeps } from "../app.js";
import { listFactors, removeFactor, renameFactor } from "../domain/factors/index.js";
import { confirmOtpEnrolment, enrolOtp, resyncFactor } from "../domain/otp/index.js";
import { confirmWebAuthnEnrolment, enrolWebAuthn } from "../domain/webauthn/index.js";
import { EnrolmentService } from "../gen/twofold/v1/enrolment_pb.js";
import { FailureReason } from "../gen/twofold/v1/types_pb.js";
import { callerOf, requestMeta, callDeps } from "./context.js";
import { factorToProto, failureReasonToProto } from "./factor-mapping.js";
import {
  parseConfirmEnrolment,
  parseEnrol,
  parseListFactors,
  parseRemoveFactor,
  parseRenameFactor,
  parseResyncFactor,
} from "./validate/enrolment.js";

/**
 * EnrolmentService: thin handlers that validate, call one domain function and
 * map the result, for TOTP, HOTP and WebAuthn factors alike.
 */
export function enrolmentServiceImpl(base: AppDeps): Partial<ServiceImpl<typeof EnrolmentService>> {
  return {
    async enrol(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseEnrol(req);
      const meta = requestMeta(ctx, "");
      if (input.kind === "webauthn") {
        const started = await enrolWebAuthn(deps, meta, { userId: input.userId, label: input.label, ...input.spec });
        return {
          factor: factorToProto(started.factor),
          enrolment: { case: "webauthn", value: { creationOptionsJson: started.creationOptionsJson } },
        };
      }
      const { factor, enrolment } = await enrolOtp(deps, meta, input);
      return {
        factor: factorToProto(factor),
        enrolment: {
          case: "otp",
          value: {
            secretBase32: enrolment.secretBase32,
            secretHex: enrolment.secretHex,
            otpauthUri: enrolment.otpauthUri,
            qrSvg: enrolment.qrSvg,
            qrPng: enrolment.qrPng,
          },
        },
      };
    },

    async confirmEnrolment(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseConfirmEnrolment(req);
      const result =
        input.kind === "webauthn"
          ? await confirmWebAuthnEnrolment(deps, requestMeta(ctx, ""), input)
          : await confirmOtpEnrolment(deps, requestMeta(ctx, ""), input);
      return {
        factor: factorToProto(result.factor),
        confirmed: result.confirmed,
        reason: result.confirmed ? FailureReason.UNSPECIFIED : failureReasonToProto(result.reason),
      };
    },

    async listFactors(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseListFactors(req);
      const factors = await listFactors(deps, callerOf(ctx).tenant, input.userId);
      return { factors: factors.map(factorToProto) };
    },

    async renameFactor(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseRenameFactor(req);
      const factor = await renameFactor(deps, requestMeta(ctx, ""), input);
      return { factor: factorToProto(factor) };
    },

    async removeFactor(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseRemoveFactor(req);
      await removeFactor(deps, requestMeta(ctx, ""), input);
      return {};
    },

    async resyncFactor(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseResyncFactor(req);
      const result = await resyncFactor(deps, requestMeta(ctx, ""), input);
      return {
        factor: factorToProto(result.factor),
        resynced: result.resynced,
        reason: result.resynced ? FailureReason.UNSPECIFIED : failureReasonToProto(result.reason),
      };
    },
  };
}
