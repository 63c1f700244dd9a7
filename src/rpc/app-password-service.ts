import { durationMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { AppDeps } from "../app.js";
import { createAppPassword } from "../domain/app-passwords/create.js";
import { listAppPasswords } from "../domain/app-passwords/list.js";
import { revokeAppPassword } from "../domain/app-passwords/revoke.js";
import { checkScopes, isScope, nameViolation, passwordViolation, ttlViolation } from "../domain/app-passwords/rules.js";
import { verifyAppPassword } from "../domain/app-passwords/verify.js";
import { invalidArgument, type FieldViolation } from "../domain/errors.js";
import { AppPasswordService } from "../gen/twofold/v1/app_passwords_pb.js";
import { appPasswordToProto, failureReasonOfRefusal } from "./app-password-mapping.js";
import { clientIpViolation, present, userIdViolation, uuidViolation } from "./backup-code-validate.js";
import { callerOf, requestMeta } from "./context.js";

/**
 * AppPasswordService: device passwords for clients that cannot do 2FA, shown
 * once, listed without the secret, revocable, and verified per scope.
 */
export function appPasswordServiceImpl(deps: AppDeps): Partial<ServiceImpl<typeof AppPasswordService>> {
  return {
    async createAppPassword(req, ctx) {
      const scopes = checkScopes("scopes", req.scopes);
      const violations: FieldViolation[] = [...present(userIdViolation("user_id", req.userId), nameViolation("name", req.name)), ...scopes.violations];
      let ttlMs: number | undefined;
      if (req.ttl !== undefined) {
        const { seconds, nanos } = req.ttl;
        // A Duration's nanos must be under a second and share the sign of seconds.
        const wellFormed = Math.abs(nanos) < 1_000_000_000 && (seconds >= 0n ? nanos >= 0 : nanos <= 0);
        ttlMs = wellFormed ? durationMs(req.ttl) : Number.NaN;
        const bad = ttlViolation("ttl", ttlMs);
        if (bad !== undefined) violations.push(bad);
      }
      if (violations.length > 0) throw invalidArgument(violations);
      const created = await createAppPassword(deps, requestMeta(ctx, ""), { userId: req.userId, name: req.name, scopes: scopes.scopes, ttlMs });
      return { appPassword: appPasswordToProto(created.appPassword), password: created.password };
    },

    async listAppPasswords(req, ctx) {
      const violations = present(userIdViolation("user_id", req.userId));
      if (violations.length > 0) throw invalidArgument(violations);
      const list = await listAppPasswords(deps, callerOf(ctx).tenant, req.userId);
      return { appPasswords: list.map(appPasswordToProto) };
    },

    async revokeAppPassword(req, ctx) {
      const violations = present(userIdViolation("user_id", req.userId), uuidViolation("app_password_id", req.appPasswordId));
      if (violations.length > 0) throw invalidArgument(violations);
      await revokeAppPassword(deps, requestMeta(ctx, ""), req.userId, req.appPasswordId.toLowerCase());
      return {};
    },

    async verifyAppPassword(req, ctx) {
      const violations = present(
        userIdViolation("user_id", req.userId),
        passwordViolation("password", req.password),
        isScope(req.requiredScope) ? undefined : { field: "required_scope", description: "must be 1 to 64 characters of a-z 0-9 . _ : -" },
        clientIpViolation("client_ip", req.clientIp),
      );
      if (violations.length > 0) throw invalidArgument(violations);
      const outcome = await verifyAppPassword(deps, requestMeta(ctx, req.clientIp), {
        userId: req.userId,
        password: req.password,
        requiredScope: req.requiredScope,
      });
      if (outcome.ok) return { verified: true, appPassword: appPasswordToProto(outcome.appPassword) };
      return {
        verified: false,
        reason: failureReasonOfRefusal[outcome.reason],
        ...(outcome.reason === "wrong_code" ? {} : { appPassword: appPasswordToProto(outcome.appPassword) }),
      };
    },
  };
}
