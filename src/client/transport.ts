import * as http from "node:http";
import * as https from "node:https";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";

/** The wire protocols a platform service may pick; both are served on twofold's one address. */
export type TwofoldProtocol = "grpc" | "connect";

/** What a transport needs; the rest of the client options are call policy. */
export interface TransportSettings {
  baseUrl: string;
  apiKey: string;
  protocol: TwofoldProtocol;
  /** Connect only: HTTP/2 (default) or HTTP/1.1 for networks that cannot carry h2c. */
  httpVersion: "2" | "1.1";
  /** Deadline of a call whose CallOptions set none; 0: none. */
  defaultTimeoutMs: number;
}

/** A transport and the connection under it, closed together. */
export interface OpenTransport {
  transport: Transport;
  close(): void;
}

/**
 * The transport of a TwofoldClient: connect-node's own gRPC or Connect
 * transport over one HTTP/2 connection (or a keep-alive HTTP/1.1 agent),
 * protobuf binary on the wire, and one interceptor that sets the bearer key.
 * The gRPC path is connect-node's gRPC transport, not @grpc/grpc-js: the
 * same typed clients and interceptors on both protocols, and no second HTTP/2
 * stack to install.
 */
export function openTransport(s: TransportSettings): OpenTransport {
  const authorization = `Bearer ${s.apiKey}`;
  const interceptors: Interceptor[] = [
    (next) => (req) => {
      req.header.set("authorization", authorization);
      return next(req);
    },
  ];
  const common = { baseUrl: s.baseUrl, useBinaryFormat: true, interceptors, defaultTimeoutMs: s.defaultTimeoutMs > 0 ? s.defaultTimeoutMs : undefined };
  if (s.protocol === "connect" && s.httpVersion === "1.1") {
    const agent = s.baseUrl.startsWith("https:") ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    const transport = createConnectTransport({ ...common, httpVersion: "1.1", nodeOptions: { agent } });
    return { transport, close: () => agent.destroy() };
  }
  const sessionManager = new Http2SessionManager(s.baseUrl);
  const options = { ...common, httpVersion: "2" as const, sessionManager };
  const transport = s.protocol === "grpc" ? createGrpcTransport(options) : createConnectTransport(options);
  return { transport, close: () => sessionManager.abort() };
}
