import { performance } from "node:perf_hooks";
import type { DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createConnectRouter,
  createContextValues,
  type ConnectRouterOptions,
  type HandlerContext,
  type ServiceImpl,
} from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Logger } from "pino";
import type { ServiceRegistration } from "../rpc/registration.js";
import { grpcMessageEncode } from "../rpc/errors.js";
import { singleAuthorization } from "./auth.js";
import { arrivalKey, refusalKey } from "./call-values.js";
import { checkHeaders, checkMessage, emptyMessage, frameFor, readBody, type CheckLimits } from "./request-check.js";
import { wireOf, type Wire } from "./request-wire.js";

export interface ConnectHandlerOptions extends ConnectRouterOptions {
  registrations: readonly ServiceRegistration[];
  logger: Logger;
  /** Largest request message; bodies up to this (plus framing) are buffered to be checked. */
  maxMessageBytes: number;
  /** Default deadline and cap of a unary call; also bounds the wait for its body. */
  requestTimeoutMs: number;
}

type NodeRequest = IncomingMessage | Http2ServerRequest;
type NodeResponse = ServerResponse | Http2ServerResponse;

interface Route {
  handler: UniversalHandler;
  /** Same method, same interceptors, but its implementation throws the refusal found by the check. */
  refuse: UniversalHandler | undefined;
}

/**
 * connect-node's adapter (connectNodeAdapter) with one change: the request
 * headers and body of a unary or server-streaming call are checked before
 * connect-node sees them (request-check.ts), because connect-node answers
 * several caller faults with INTERNAL or UNIMPLEMENTED and its own words
 * (an undecodable body, a truncated gzip stream, a missing message, a
 * malformed timeout it echoes back). A request that fails the check is
 * handed to a twin handler for the same method whose implementation throws
 * the refusal, so the error is still encoded by connect for whichever
 * protocol the caller speaks, after the same authentication and logging. A
 * request that passes is handed on decompressed, so connect-node never
 * decompresses a caller's data itself.
 */
export function connectHandler(options: ConnectHandlerOptions): (req: NodeRequest, res: NodeResponse) => void {
  const routerOptions: ConnectRouterOptions = { ...options, acceptCompression: options.acceptCompression ?? [compressionGzip, compressionBrotli] };
  const router = createConnectRouter(routerOptions);
  const refusing = createConnectRouter(routerOptions);
  for (const r of options.registrations) {
    router.service(r.service, r.impl);
    refusing.service(r.service, refusingImpl(r.service) as unknown as Partial<ServiceImpl<DescService>>);
  }
  const refusers = new Map<string, UniversalHandler>();
  for (const h of refusing.handlers) refusers.set(h.requestPath, h);
  const routes = new Map<string, Route>();
  for (const h of router.handlers) {
    const checkable = h.method.methodKind === "unary" || h.method.methodKind === "server_streaming";
    routes.set(h.requestPath, { handler: h, refuse: checkable ? refusers.get(h.requestPath) : undefined });
  }
  const limits: CheckLimits = { maxMessageBytes: options.maxMessageBytes, requestTimeoutMs: options.requestTimeoutMs };
  const logger = options.logger;

  return (req, res) => {
    const arrival = performance.now();
    const route = routes.get(req.url?.split("?", 2)[0] ?? "");
    if (route === undefined) {
      unknownMethod(req, res);
      return;
    }
    let uReq: UniversalServerRequest;
    try {
      uReq = universalRequestFromNodeRequest(req, res as never, undefined, createContextValues());
    } catch {
      // e.g. an HTTP/1.0 request without a Host header: connect-node cannot build its URL.
      res.writeHead(400);
      res.end();
      return;
    }
    uReq.contextValues?.set(arrivalKey, arrival);
    // Node keeps the first of duplicate authorization headers; the call must see none (auth.ts).
    if (singleAuthorization(req.rawHeaders) === null) uReq.header.delete("authorization");
    let abandoned = false;
    const answer =
      route.refuse === undefined
        ? route.handler(uReq)
        : checked(uReq, route.handler, route.refuse, limits, arrival, logger).then((out) => {
            abandoned = out.abandoned;
            return out.response;
          });
    answer
      .then((uRes) => universalResponseToNodeResponse(uRes, res as never))
      .then(
        () => {
          // A body we stopped reading must not be taken for the next request on the connection.
          if (abandoned) endUnreadRequest(req);
        },
        (reason: unknown) => {
          if (abandoned) endUnreadRequest(req);
          logIoFailure(logger, reason, route.handler.method.name);
        },
      );
  };
}

/**
 * Checks a request (request-check.ts) and routes it: to the real handler,
 * rewritten so connect-node reads a plain body, or to the refusing twin.
 * A request of a wire we do not check is handed on untouched.
 */
async function checked(
  req: UniversalServerRequest,
  handler: UniversalHandler,
  refuse: UniversalHandler,
  limits: CheckLimits,
  arrival: number,
  logger: Logger,
): Promise<{ response: UniversalServerResponse; abandoned: boolean }> {
  const wire = req.method === "POST" ? wireOf(req.header.get("content-type"), handler.method) : undefined;
  const body = req.body;
  if (wire === undefined || !isAsyncIterable(body)) return { response: await handler(req), abandoned: false };
  const refuseWith = async (error: ConnectError, abandoned: boolean) => ({ response: await refuse(twinRequest(req, wire, error)), abandoned });

  const headers = checkHeaders(req.header, wire, limits);
  if (headers instanceof ConnectError) return refuseWith(headers, true);
  const read = await readBody(body, limits.maxMessageBytes + 5, arrival + headers.timeoutMs);
  if (!read.ok) return refuseWith(read.error, read.abandoned);
  const message = await checkMessage(read.body, wire, headers.encoding, handler.method.input, limits.maxMessageBytes, logger);
  if (!message.ok) return refuseWith(message.error, false);

  const header = new Headers(req.header);
  if (headers.encoding !== undefined) {
    header.delete(wire.encodingHeader);
    // Without an accept list connect-node answers in the request's compression; keep that choice.
    if (!header.has(wire.acceptHeader)) header.set(wire.acceptHeader, headers.encoding);
  }
  // The deadline as checked and capped, so connect-node never refuses one above its own maximum.
  if (header.has(wire.timeoutHeader)) header.set(wire.timeoutHeader, wire.timeoutHeader === "grpc-timeout" ? `${Math.ceil(headers.timeoutMs)}m` : String(Math.ceil(headers.timeoutMs)));
  const bytes = frameFor(wire, message.message);
  if (header.has("content-length")) header.set("content-length", String(bytes.byteLength));
  return { response: await handler({ ...req, header, body: replay(bytes) }), abandoned: false };
}

/** The request the refusing twin sees: a valid empty message, and none of the headers that failed. */
function twinRequest(req: UniversalServerRequest, wire: Wire, error: ConnectError): UniversalServerRequest {
  const header = new Headers(req.header);
  header.delete(wire.encodingHeader);
  header.delete(wire.timeoutHeader);
  const empty = emptyMessage(wire);
  if (header.has("content-length")) header.set("content-length", String(empty.byteLength));
  const contextValues = req.contextValues ?? createContextValues();
  contextValues.set(refusalKey, error);
  return { ...req, header, contextValues, body: replay(empty) };
}

/**
 * A path no service serves. gRPC and gRPC-Web callers get status 12
 * (UNIMPLEMENTED) as a trailers-only response, as the gRPC HTTP/2 spec
 * wants; Connect callers get the Connect protocol's 404 with its JSON error.
 */
function unknownMethod(req: NodeRequest, res: NodeResponse): void {
  const type = String(req.headers["content-type"] ?? "");
  const message = "unknown service or method";
  if (type.startsWith("application/grpc")) {
    const headers = {
      "content-type": type.startsWith("application/grpc-web") ? "application/grpc-web+proto" : "application/grpc",
      "grpc-status": String(Code.Unimplemented),
      "grpc-message": grpcMessageEncode(message),
    };
    if ("stream" in res) {
      // One HEADERS frame that ends the stream: gRPC clients read the status only from such a frame or from trailers.
      if (!res.stream.destroyed) res.stream.respond({ ":status": 200, ...headers }, { endStream: true });
    } else {
      res.writeHead(200, headers);
      res.end();
    }
  } else {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ code: "unimplemented", message }));
  }
  req.resume();
}

/** Closes what is left of a request whose body we stopped reading. */
function endUnreadRequest(req: NodeRequest): void {
  if ("stream" in req) {
    if (!req.stream.closed) req.stream.close();
  } else {
    req.socket.destroySoon();
  }
}

/**
 * A response that could not be written is almost always the caller's doing
 * (it reset the stream, broke its chunked encoding, went away): debug, so no
 * client can fill the error log. Only a failure without a system or RPC code
 * is ours and logged as an error.
 */
function logIoFailure(logger: Logger, reason: unknown, method: string): void {
  if (reason instanceof ConnectError || (reason instanceof Error && typeof (reason as NodeJS.ErrnoException).code === "string")) {
    logger.debug({ method, errCode: reason instanceof ConnectError ? reason.code : (reason as NodeJS.ErrnoException).code }, "connect response not written");
    return;
  }
  logger.error({ err: reason, method }, "connect handler failed");
}

async function* replay(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

function isAsyncIterable(v: unknown): v is AsyncIterable<Uint8Array> {
  return typeof v === "object" && v !== null && Symbol.asyncIterator in v;
}

/** Every unary and server-streaming method refuses: used only for requests the check refused. */
function refusingImpl(service: DescService): Record<string, (req: unknown, ctx: HandlerContext) => never> {
  const impl: Record<string, (req: unknown, ctx: HandlerContext) => never> = {};
  for (const m of service.methods) {
    if (m.methodKind !== "unary" && m.methodKind !== "server_streaming") continue;
    impl[m.localName] = (_req, ctx) => {
      throw ctx.values.get(refusalKey) ?? new ConnectError("request refused", Code.InvalidArgument);
    };
  }
  return impl;
}
