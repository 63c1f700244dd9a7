import type { AddressInfo } from "node:net";
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
import { trackConnections } from "./connections.js";
import type { GrpcUnaryOptions } from "./grpc-unary.js";
import { createHttp1Server, createHttp2Server, routeUnaryGrpc } from "./http-servers.js";
import { healthImpl } from "./health.js";
import { rpcInterceptor } from "./interceptors.js";
import { limits } from "./limits.js";
import { protocolSplitListener } from "./protocol-split.js";
import { reflectionV1, reflectionV1Alpha } from "./reflection.js";
import { unaryRoutes } from "./routes.js";

/** What startServer needs; everything else (limits, timeouts) is fixed in limits.ts or derived. */
export interface ServerOptions {
  config: Pick<Config, "addr" | "maxMessageBytes" | "maxConcurrentStreams" | "requestTimeoutMs"> & Partial<Pick<Config, "keepAliveIntervalMs">>;
  /** One "rpc" line per call; causes of internal errors at error level. */
  logger: Logger;
  /** Served on every protocol; a method missing from an impl answers UNIMPLEMENTED. */
  services: ServiceRegistration[];
  /** Looks up an API key; undefined for an unknown or revoked one. */
  authenticate(token: string): Promise<Caller | undefined>;
  /** Health readiness (e.g. database reachable); SERVING when absent. */
  ready?(): Promise<boolean>;
  /** How long close() lets calls in flight finish; limits.shutdownGraceMs (10 s) when absent. */
  shutdownGraceMs?: number;
}

/** A listening server: where it is, and how to stop it. */
export interface RunningServer {
  host: string;
  port: number;
  /** `http://host:port`, for clients. */
  url: string;
  /** Stops accepting, lets in-flight calls finish for a grace period, then cuts the rest. */
  close(): Promise<void>;
}

/** Services every client may call without a key (docs/design.md "Callers, tenants, roles"). */
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
    requestTimeoutMs: config.requestTimeoutMs,
    readMaxBytes: config.maxMessageBytes,
    writeMaxBytes: config.maxMessageBytes,
    // Deadlines are capped (not refused) by the interceptor, as on the fast path.
    maxTimeoutMs: limits.maxClientTimeoutMs,
    requireConnectProtocolHeader: false,
    shutdownSignal: shutdown.signal,
    interceptors: [rpcInterceptor({ logger, authenticate: opts.authenticate, publicServices, requestTimeoutMs: config.requestTimeoutMs })],
  });

  const keepAliveMs = config.keepAliveIntervalMs ?? 0;
  const h2 = createHttp2Server(nodeHandler, config.maxConcurrentStreams, keepAliveMs);
  routeUnaryGrpc(h2, fast, fastOptions);
  const h1 = createHttp1Server(nodeHandler, config.requestTimeoutMs);
  const server = protocolSplitListener(h1, h2, limits.http1HeadersTimeoutMs, keepAliveMs);
  const drain = trackConnections(server, h1, h2, draining.signal);

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => {
      h1.close();
      reject(err);
    });
    server.listen(config.addr.port, config.addr.host, () => {
      server.removeAllListeners("error");
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
    closing ??= (async () => {
      draining.abort();
      const drained = await drain.closeGracefully(opts.shutdownGraceMs ?? limits.shutdownGraceMs);
      if (!drained) {
        shutdown.abort(new ConnectError("server shutting down", Code.Unavailable));
        drain.destroyAll();
      }
      await drain.closed;
    })();
    return closing;
  };

  return { host, port: address.port, url, close };
}
