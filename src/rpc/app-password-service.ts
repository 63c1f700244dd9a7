import type { ServiceImpl } from "@connectrpc/connect";
import type { AppDeps } from "../app.js";
import { createAppPassword, listAppPasswordPage, revokeAppPassword, verifyAppPassword } from "../domain/app-passwords/index.js";
import { AppPasswordService } from "../gen/twofold/v1/app_passwords_pb.js";
import { appPasswordToProto, failureReasonOfRefusal } from "./app-password-mapping.js";
import { parseCreateAppPassword, parseListAppPasswords, parseRevokeAppPassword, parseVerifyAppPassword } from "./validate/app-passwords.js";
import { callerOf, requestMeta, callDeps } from "./context.js";

/**
 * AppPasswordService: device passwords for clients that cannot do 2FA, shown
 * once, listed without the secret, revocable, and verified per scope.
 */
export function appPasswordServiceImpl(base: AppDeps): Partial<ServiceImpl<typeof AppPasswordService>> {
  return {
    async createAppPassword(req, ctx) {
      const deps = callDeps(base, ctx);
      const created = await createAppPassword(deps, requestMeta(ctx, ""), parseCreateAppPassword(req));
      return { appPassword: appPasswordToProto(created.appPassword), password: created.password };
    },

    async listAppPasswords(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseListAppPasswords(req);
      const page = await listAppPasswordPage(deps, callerOf(ctx).tenant, input.userId, input);
      return { appPasswords: page.appPasswords.map(appPasswordToProto), nextPageToken: page.nextPageToken };
    },

    async revokeAppPassword(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseRevokeAppPassword(req);
      await revokeAppPassword(deps, requestMeta(ctx, ""), input.userId, input.appPasswordId);
      return {};
    },

    async verifyAppPassword(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseVerifyAppPassword(req);
      const outcome = await verifyAppPassword(deps, requestMeta(ctx, input.clientIp), input);
      if (outcome.ok) return { verified: true, appPassword: appPasswordToProto(outcome.appPassword) };
      return {
        verified: false,
        reason: failureReasonOfRefusal[outcome.reason],
        ...("appPassword" in outcome ? { appPassword: appPasswordToProto(outcome.appPassword) } : {}),
      };
    },
  };
}
