import * as http2 from "node:http2";
import type { IncomingHttpHeaders, Http2Session, ServerHttp2Stream } from "node:http2";
import * as http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import type { Caller } from "../domain/caller.js";
import { file_google_rpc_error_details } from "../gen/google/rpc/error_details_pb.js";
import { file_google_rpc_status } from "../gen/google/rpc/status_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1Alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { registration, type ServiceRegistration } from "../rpc/registration.js";
import { connectHandler } from "./connect-handler.js";
import { descriptorIndex } from "./descriptor-index.js";
import { isGrpcProto, serveGrpcUnary, type GrpcUnaryOptions } from "./grpc-unary.js";
import { healthImpl } from "./health.js";
import { rpcInterceptor } from "./interceptors.js";
import { limits } from "./limits.js";
import { protocolSplitListener } from "./protocol-split.js";
import { reflectionV1, reflectionV1Alpha } from "./reflection.js";
import { unaryRoutes } from "./routes.js";

export interface ServerOptions {
  config: Pick<Config, "addr" | "maxMessageBytes" | "maxConcurrentStreams" | "requestTimeoutMs">;
  /** One "rpc" line per call; causes of internal errors at error level. */
  logger: Logger;
  /** Served on every protocol; a method missing from an impl answers UNIMPLEMENTED. */
  services: ServiceRegistration[];
  /** Looks up an API key; undefined for an unknown or revoked one. */
  authenticate(token: string): Promise<Caller | undefined>;
  /** Health readiness (e.g. database reachable); SERVING when absent. */
  ready?(): Promise<boolean>;
}

export interface RunningServer {
  host: string;
  port: number;
  /** `http://host:port`, for clients. */
  url: string;
  /** Stops accepting, lets in-flight calls finish for a grace period, then cuts the rest. */
  close(): Promise<void>;
}

type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

/** Services every client may call without a key (DESIGN: every RPC but health needs one). */
const publicServices: ReadonlySet<string> = new Set([Health.typeName]);

/**
 * Starts one listener serving gRPC, gRPC-Web and Connect (HTTP/1.1 and
 * HTTP/2 cleartext) for the same service implementations, plus health and
 * server reflection. Unary gRPC calls take the lean fast path in
 * grpc-unary.ts; everything else goes through connect-node.
 */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { config, logger } = opts;
  const draining = new AbortController();
  const shutdown = new AbortController();
  const ready = opts.ready ?? (() => Promise.resolve(true));

  const served = opts.services.map((r) => r.service);
  const index = descriptorIndex([...served, Health, ReflectionV1, ReflectionV1Alpha], [file_google_rpc_error_details, file_google_rpc_status]);
  const health = registration(Health, healthImpl(served.map((s) => s.typeName), ready, draining.signal));
  const all: ServiceRegistration[] = [
    ...opts.services,
    health,
    registration(ReflectionV1, reflectionV1(index)),
    registration(ReflectionV1Alpha, reflectionV1Alpha(index)),
  ];

  const fast = unaryRoutes([...opts.services, health], publicServices);
  const fastOptions: GrpcUnaryOptions = {
    logger,
    authenticate: opts.authenticate,
    maxMessageBytes: config.maxMessageBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    shutdownSignal: shutdown.signal,
  };

  const nodeHandler = connectHandler({
    registrations: all,
    logger,
    maxMessageBytes: config.maxMessageBytes,
    readMaxBytes: config.maxMessageBytes,
    writeMaxBytes: config.maxMessageBytes,
    // Deadlines are capped (not refused) by the interceptor, as on the fast path.
    maxTimeoutMs: limits.maxClientTimeoutMs,
    requireConnectProtocolHeader: false,
    shutdownSignal: shutdown.signal,
    interceptors: [rpcInterceptor({ logger, authenticate: opts.authenticate, publicServices, requestTimeoutMs: config.requestTimeoutMs })],
  });

  const h2 = http2.createServer(
    {
      maxSessionMemory: limits.maxSessionMemoryMb,
      settings: {
        maxConcurrentStreams: config.maxConcurrentStreams,
        maxHeaderListSize: limits.maxHeaderListBytes,
      },
    },
    nodeHandler,
  );
  h2.setTimeout(limits.idleTimeoutMs);
  const http1RequestTimeoutMs = config.requestTimeoutMs + limits.http1RequestSlackMs;
  const h1 = http.createServer(
    {
      headersTimeout: Math.min(limits.http1HeadersTimeoutMs, http1RequestTimeoutMs),
      requestTimeout: http1RequestTimeoutMs,
      keepAliveTimeout: limits.http1KeepAliveTimeoutMs,
      connectionsCheckingInterval: limits.http1CheckIntervalMs,
      maxHeaderSize: limits.maxHeaderListBytes,
    },
    nodeHandler,
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
  // node arms the HTTP/1.1 header and request timeouts when the server starts
  // listening; this one never listens itself (the split listener hands it sockets).
  h1.emit("listening");
  const server = protocolSplitListener(h1, h2, limits.http1HeadersTimeoutMs);

  // Route each HTTP/2 stream: unary gRPC of a known method to the fast path,
  // the rest to the compatibility layer that feeds connect-node. The compat
  // listener is the one node installs for the request handler above.
  const compat = h2.listeners("stream")[0] as StreamListener | undefined;
  if (compat === undefined) throw new Error("node:http2 installed no compatibility listener");
  h2.removeAllListeners("stream");
  h2.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
    if (headers[":method"] === "POST" && isGrpcProto(headers["content-type"])) {
      const route = fast.get(headers[":path"] ?? "");
      if (route !== undefined) {
        serveGrpcUnary(stream, headers, route, fastOptions);
        return;
      }
    }
    compat(stream, headers, flags, rawHeaders);
  });

  // Track connections so close() can drain HTTP/2 sessions and cut the rest.
  const sessions = new Set<Http2Session>();
  const sockets = new Set<Socket>();
  h2.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    if (draining.signal.aborted) session.close();
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const http1Sockets = new Set<Socket>();
  h1.on("connection", (socket: Socket) => {
    http1Sockets.add(socket);
    socket.on("close", () => http1Sockets.delete(socket));
  });
  // HTTP/1.1 responses in flight per socket, so close() can end idle keep-alive sockets at once.
  const busy = new Map<Socket, number>();
  const releaseHttp1 = (socket: Socket): void => {
    const n = (busy.get(socket) ?? 1) - 1;
    if (n > 0) busy.set(socket, n);
    else busy.delete(socket);
    if (n <= 0 && draining.signal.aborted) socket.destroySoon();
  };
  h1.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as Socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    res.once("close", () => releaseHttp1(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.addr.port, config.addr.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err: Error) => logger.error({ err }, "server error"));
  const address = server.address() as AddressInfo;
  const host = address.address;
  const url = `http://${address.family === "IPv6" ? `[${host}]` : host}:${address.port}`;
  logger.info({ url }, "serving gRPC, gRPC-Web and Connect");

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      draining.abort();
      const grace = setTimeout(() => {
        shutdown.abort(new ConnectError("server shutting down", Code.Unavailable));
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      }, limits.shutdownGraceMs);
      server.close(() => {
        clearTimeout(grace);
        h1.close();
        resolve();
      });
      // HTTP/2: GOAWAY, then close once open streams finish.
      for (const session of sessions) session.close();
      // HTTP/1.1: idle keep-alive sockets would hold the server open; busy ones finish first.
      for (const socket of http1Sockets) if (!busy.has(socket)) socket.destroySoon();
    });
    return closing;
  };

  return { host, port: address.port, url, close };
}
