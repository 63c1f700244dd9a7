import { performance } from "node:perf_hooks";
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Caller } from "../domain/caller.js";
import { callerKey, requestIdKey } from "../rpc/context.js";
import { toConnectError } from "../rpc/errors.js";
import { authorize, type Authenticate } from "./auth.js";
import { requestIdFrom } from "./request-id.js";
import { accessOf } from "./routes.js";
import { logRpc, protocolOf } from "./rpc-log.js";

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
 * set caller and request id on the context, cap unary deadlines, map every
 * error through toConnectError and write the one "rpc" log line. Mirrors
 * grpc-unary.ts so a handler behaves the same on every protocol.
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
    try {
      caller = await authorize(accessOf(req.service, opts.publicServices), req.header.get("authorization"), opts.authenticate);
      req.contextValues.set(callerKey, caller);
      if (!req.stream) {
        const res = await withDeadline(next(req), opts.requestTimeoutMs, req.signal);
        log(0);
        return res;
      }
      const res = (await next(req)) as StreamResponse;
      return { ...res, message: finishStream(res.message, opts.logger, log) };
    } catch (err) {
      const out = toConnectError(err, opts.logger);
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

/**
 * Answers DEADLINE_EXCEEDED when the server's cap passes first; a shorter
 * client deadline already aborts `signal` (connect parses the timeout header).
 */
function withDeadline<T>(work: Promise<T>, capMs: number, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const expire = (): void => reject(new ConnectError("deadline exceeded", Code.DeadlineExceeded));
    const timer = setTimeout(expire, capMs);
    const onAbort = (): void => {
      const reason: unknown = signal.reason;
      reject(reason instanceof ConnectError ? reason : new ConnectError("request cancelled", Code.Canceled));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

