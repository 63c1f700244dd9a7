import * as http from "node:http";
import * as http2 from "node:http2";
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import type { Duplex } from "node:stream";
import { isGrpcProto, serveGrpcUnary, type GrpcUnaryOptions } from "./grpc-unary.js";
import { limits } from "./limits.js";
import type { UnaryRoute } from "./routes.js";

type NodeHandler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;
type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

/**
 * The HTTP/2 (cleartext) server, with bounded streams per connection, header
 * list and session memory, and a keep-alive PING every `keepAliveIntervalMs`
 * (0: none) on each session.
 */
export function createHttp2Server(handler: NodeHandler, maxConcurrentStreams: number, keepAliveIntervalMs = 0): http2.Http2Server {
  const h2 = http2.createServer(
    {
      maxSessionMemory: limits.maxSessionMemoryMb,
      settings: { maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderListBytes },
    },
    handler,
  );
  h2.setTimeout(limits.idleTimeoutMs);
  if (keepAliveIntervalMs > 0) h2.on("session", (session: http2.ServerHttp2Session) => keepAlive(session, keepAliveIntervalMs, limits.keepAlivePingTimeoutMs));
  return h2;
}

/**
 * Sends an HTTP/2 PING (RFC 9113 §6.7) every `intervalMs` and drops the
 * session when one goes unanswered for `timeoutMs`: a peer that vanished
 * without closing its connection (a crashed client, a cut network path) is
 * noticed and its streams end, instead of holding them until the idle timeout.
 */
export function keepAlive(session: http2.Http2Session, intervalMs: number, timeoutMs: number): void {
  let waiting: NodeJS.Timeout | undefined;
  const timer = setInterval(() => {
    if (waiting !== undefined || session.destroyed || session.closed) return;
    waiting = setTimeout(() => session.destroy(), timeoutMs);
    waiting.unref();
    try {
      session.ping(() => {
        clearTimeout(waiting);
        waiting = undefined;
      });
    } catch {
      // A session already going away cannot send; its close ends this.
      clearTimeout(waiting);
      waiting = undefined;
    }
  }, intervalMs);
  timer.unref();
  session.once("close", () => {
    clearInterval(timer);
    clearTimeout(waiting);
  });
}

/**
 * Sends each unary gRPC stream of a known method to the fast path and every
 * other stream to the compatibility layer that feeds connect-node. The compat
 * listener is the one node installed for the request handler given to
 * createHttp2Server; it is taken over rather than duplicated, so each stream
 * is handled exactly once.
 */
export function routeUnaryGrpc(h2: http2.Http2Server, routes: ReadonlyMap<string, UnaryRoute>, options: GrpcUnaryOptions): void {
  const compat = h2.listeners("stream")[0] as StreamListener | undefined;
  if (compat === undefined) throw new Error("node:http2 installed no compatibility listener");
  h2.removeAllListeners("stream");
  h2.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
    if (headers[":method"] === "POST" && isGrpcProto(headers["content-type"])) {
      const route = routes.get(headers[":path"] ?? "");
      if (route !== undefined) {
        serveGrpcUnary(stream, headers, rawHeaders, route, options);
        return;
      }
    }
    compat(stream, headers, flags, rawHeaders);
  });
}

/** The HTTP/1.1 server (Connect, gRPC-Web over fetch), with header, request, keep-alive and idle timeouts. */
export function createHttp1Server(handler: NodeHandler, requestTimeoutMs: number): http.Server {
  const requestTimeout = requestTimeoutMs + limits.http1RequestSlackMs;
  const h1 = http.createServer(
    {
      headersTimeout: Math.min(limits.http1HeadersTimeoutMs, requestTimeout),
      requestTimeout,
      keepAliveTimeout: limits.http1KeepAliveTimeoutMs,
      connectionsCheckingInterval: limits.http1CheckIntervalMs,
      maxHeaderSize: limits.maxHeaderListBytes,
    },
    handler,
  );
  h1.setTimeout(limits.idleTimeoutMs);
  // A request node cannot parse (or one that timed out) gets a bare 400/408 and the socket closes.
  h1.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (socket.writable) {
      const status = err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : "400 Bad Request";
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    socket.destroy();
  });
  // node arms the header and request timeouts when a server starts listening;
  // this one never listens itself (the split listener hands it sockets).
  h1.emit("listening");
  return h1;
}
