import type { ServiceImpl } from "@connectrpc/connect";
import type { AppDeps } from "../app.js";
import { clearThrottle, getUserState, listAuditEvents, resetSecondFactor } from "../domain/admin/index.js";
import { loadEnforcementPolicy, loadProviderPolicy, setEnforcementPolicy, setProviderPolicy } from "../domain/policy/index.js";
import type { TenantSettingsCache } from "../domain/login/index.js";
import { relyingPartySettingsFor, setRelyingParty } from "../domain/relying-party/index.js";
import { AdminService } from "../gen/twofold/v1/admin_pb.js";
import { appPasswordToProto } from "./app-password-mapping.js";
import {
  auditEventToProto,
  backupCodeStatusToProto,
  enforcementPolicyToProto,
  providerPolicyToProto,
  relyingPartyToProto,
  throttleToProto,
} from "./admin-mapping.js";
import { callerOf, requestMeta, callDeps } from "./context.js";
import { factorToProto } from "./factor-mapping.js";
import {
  parseListAuditEvents,
  parseResetSecondFactor,
  parseSetEnforcementPolicy,
  parseSetProviderPolicy,
  parseSetRelyingParty,
  parseUserRequest,
} from "./validate/admin.js";

/**
 * AdminService: a tenant's user state, resets, policies, relying party, audit.
 * Admin keys only; the transport refuses `service` keys before these run.
 * Each handler validates (validate/admin.ts), calls one domain function and
 * maps the result; the caller's tenant always comes from its key, never from
 * the request. A setting read at login is dropped from this replica's
 * TenantSettingsCache as soon as it is stored (the other replicas hear of it
 * through NOTIFY).
 */
export function adminServiceImpl(base: AppDeps, settings?: TenantSettingsCache): Partial<ServiceImpl<typeof AdminService>> {
  return {
    async getUserState(req, ctx) {
      const deps = callDeps(base, ctx);
      const { userId } = parseUserRequest(req);
      const state = await getUserState(deps, callerOf(ctx).tenant, userId);
      return {
        factors: state.factors.map(factorToProto),
        backupCodes: backupCodeStatusToProto(state.backupCodes),
        appPasswords: state.appPasswords.map(appPasswordToProto),
        throttle: throttleToProto(state.throttle),
      };
    },

    async resetSecondFactor(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseResetSecondFactor(req);
      const result = await resetSecondFactor(deps, requestMeta(ctx, ""), input.userId, input.scope);
      return {
        factorsRemoved: result.factorsRemoved,
        backupCodesRemoved: result.backupCodesRemoved,
        appPasswordsRevoked: result.appPasswordsRevoked,
      };
    },

    async setEnforcementPolicy(req, ctx) {
      const deps = callDeps(base, ctx);
      const policy = await setEnforcementPolicy(deps, requestMeta(ctx, ""), parseSetEnforcementPolicy(req));
      settings?.forget(callerOf(ctx).tenant);
      return { policy: enforcementPolicyToProto(policy) };
    },

    async getEnforcementPolicy(_req, ctx) {
      const deps = callDeps(base, ctx);
      const policy = await loadEnforcementPolicy(deps.db, callerOf(ctx).tenant);
      return { policy: enforcementPolicyToProto(policy) };
    },

    async setProviderPolicy(req, ctx) {
      const deps = callDeps(base, ctx);
      const policy = await setProviderPolicy(deps, requestMeta(ctx, ""), parseSetProviderPolicy(req));
      settings?.forget(callerOf(ctx).tenant);
      return { policy: providerPolicyToProto(policy) };
    },

    async getProviderPolicy(_req, ctx) {
      const deps = callDeps(base, ctx);
      const policy = await loadProviderPolicy(deps.db, callerOf(ctx).tenant);
      return { policy: providerPolicyToProto(policy) };
    },

    async setRelyingParty(req, ctx) {
      const deps = callDeps(base, ctx);
      const rp = await setRelyingParty(deps, requestMeta(ctx, ""), parseSetRelyingParty(req));
      settings?.forget(callerOf(ctx).tenant);
      return { relyingParty: relyingPartyToProto(rp) };
    },

    async getRelyingParty(_req, ctx) {
      const deps = callDeps(base, ctx);
      const rp = await relyingPartySettingsFor(deps, callerOf(ctx).tenant);
      return { relyingParty: relyingPartyToProto(rp) };
    },

    async listAuditEvents(req, ctx) {
      const deps = callDeps(base, ctx);
      const input = parseListAuditEvents(req);
      const page = await listAuditEvents(deps, callerOf(ctx).tenant, { ...input, maxResponseBytes: deps.config.maxMessageBytes });
      return { events: page.events.map(auditEventToProto), nextPageToken: page.nextPageToken };
    },

    async clearThrottle(req, ctx) {
      const deps = callDeps(base, ctx);
      const { userId } = parseUserRequest(req);
      await clearThrottle(deps, requestMeta(ctx, ""), userId);
      return {};
    },
  };
}
