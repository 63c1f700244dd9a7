import { performance } from "node:perf_hooks";
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Caller } from "../domain/caller.js";
import { callerKey, deadlineKey, requestIdKey } from "../rpc/context.js";
import { toConnectError } from "../rpc/errors.js";
import { CallDeadline } from "../store/call-deadline.js";
import { authorize, type Authenticate } from "./auth.js";
import { arrivalKey } from "./call-values.js";
import { afterCommit, settleWithin } from "./deadline-race.js";
import { grpcDeadlineMs } from "./grpc-timeout.js";
import { requestIdFrom } from "./request-id.js";
import { accessOf } from "./routes.js";
import { logRpc, protocolOf, type Protocol } from "./rpc-log.js";

/** What the connect-node path needs to treat a call as the gRPC fast path does. */
export interface RpcInterceptorOptions {
  logger: Logger;
  authenticate: Authenticate;
  publicServices: ReadonlySet<string>;
  /** Default and cap of a unary call's deadline. */
  requestTimeoutMs: number;
}

/**
 * The connect-node side of the transport contract: authenticate and authorise,
 * set caller and request id on the context, run a unary call under its
 * deadline (call-deadline.ts: counted from the request's arrival, capped by
 * the server's, aborting the handler's signal and cancelling its statements
 * when it passes), map every error through toConnectError and write the one
 * "rpc" log line. Mirrors grpc-unary.ts so a handler behaves the same on
 * every protocol.
 */
export function rpcInterceptor(opts: RpcInterceptorOptions): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const requestId = requestIdFrom(req.header.get("x-request-id"));
    const protocol = protocolOf(req.header.get("content-type"));
    const name = `${req.service.typeName}/${req.method.name}`;
    req.contextValues.set(requestIdKey, requestId);
    let caller: Caller | undefined;
    const log = (code: Code | 0): void =>
      logRpc(opts.logger, { method: name, code, durationMs: performance.now() - started, tenant: caller?.tenant, requestId, protocol });
    const access = accessOf(req.service, opts.publicServices);
    let deadline: CallDeadline | undefined;
    try {
      if (!req.stream) {
        const arrival = req.contextValues.get(arrivalKey) ?? started;
        deadline = new CallDeadline(arrival + callTimeoutMs(req.header, protocol, opts.requestTimeoutMs));
        const callDeadline = deadline;
        const stop = armDeadline(callDeadline, req.signal);
        try {
          req.contextValues.set(deadlineKey, callDeadline);
          const work = (async () => {
            caller = await authorize(access, req.header.get("authorization"), opts.authenticate, callDeadline);
            req.contextValues.set(callerKey, caller);
            return next({ ...req, signal: callDeadline.signal });
          })();
          const res = await settleWithin(callDeadline, work);
          log(0);
          return res;
        } finally {
          stop();
        }
      }
      caller = await authorize(access, req.header.get("authorization"), opts.authenticate, undefined);
      req.contextValues.set(callerKey, caller);
      const res = (await next(req)) as StreamResponse;
      return { ...res, message: finishStream(res.message, opts.logger, log) };
    } catch (err) {
      const out = afterCommit(toConnectError(err, opts.logger), deadline);
      log(out.code);
      throw out;
    }
  };
}

/** Maps errors raised while a response stream runs and logs the call when the stream ends. */
async function* finishStream<T>(messages: AsyncIterable<T>, logger: Logger, log: (code: Code | 0) => void): AsyncIterable<T> {
  try {
    yield* messages;
    log(0);
  } catch (err) {
    const out = toConnectError(err, logger);
    log(out.code);
    throw out;
  }
}

/** The caller's deadline in ms (as connect-handler.ts checked and capped it), else the server's. */
function callTimeoutMs(header: Headers, protocol: Protocol, capMs: number): number {
  if (protocol === "connect") {
    const value = header.get("connect-timeout-ms");
    return value !== null && /^\d{1,10}$/.test(value) ? Math.min(Number(value), capMs) : capMs;
  }
  return grpcDeadlineMs(header.get("grpc-timeout") ?? undefined, capMs) ?? capMs;
}

/**
 * Ends the call's time at its deadline, or earlier when connect-node aborts the
 * request (the client went away, the server shuts down). Returns the disarm.
 */
function armDeadline(deadline: CallDeadline, signal: AbortSignal): () => void {
  const timer = setTimeout(() => deadline.abort(new ConnectError("deadline exceeded", Code.DeadlineExceeded)), Math.max(0, deadline.remainingMs()));
  const onAbort = (): void => {
    const reason: unknown = signal.reason;
    deadline.abort(reason instanceof ConnectError ? reason : new ConnectError("the client cancelled the call", Code.Canceled));
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return () => {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  };
}
