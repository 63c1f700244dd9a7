import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Caller, RequestMeta } from "../domain/caller.js";

/** Set by the transport after it authenticates the API key. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "twofold caller" });

/** Set by the transport for every request (from x-request-id or generated). */
export const requestIdKey = createContextKey<string>("", { description: "twofold request id" });

/** The authenticated caller; the transport guarantees one on every authenticated RPC. */
export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  if (caller === undefined) throw new Error("no caller on an authenticated RPC: transport wiring bug");
  return caller;
}

export function requestMeta(ctx: HandlerContext, clientIp: string): RequestMeta {
  return { caller: callerOf(ctx), clientIp, requestId: ctx.values.get(requestIdKey) };
}
