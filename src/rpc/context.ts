import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { duringCall, type AppDeps, type CallDeadline } from "../app.js";
import type { Caller, RequestMeta } from "../domain/caller.js";

/** Set by the transport after it authenticates the API key. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "twofold caller" });

/** Set by the transport for every request (from x-request-id or generated). */
export const requestIdKey = createContextKey<string>("", { description: "twofold request id" });

/** Set by the transport for every unary call: the deadline its statements honour. */
export const deadlineKey = createContextKey<CallDeadline | undefined>(undefined, { description: "twofold call deadline" });

/** The deps a handler hands the domain: `deps` with the database as this call sees it (its deadline). */
export function callDeps(deps: AppDeps, ctx: HandlerContext): AppDeps {
  return duringCall(deps, ctx.values.get(deadlineKey));
}

/** The authenticated caller; the transport guarantees one on every authenticated RPC. */
export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  if (caller === undefined) throw new Error("no caller on an authenticated RPC: transport wiring bug");
  return caller;
}

export function requestMeta(ctx: HandlerContext, clientIp: string): RequestMeta {
  return { caller: callerOf(ctx), clientIp, requestId: ctx.values.get(requestIdKey) };
}
