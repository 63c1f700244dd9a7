import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

/** How a Connect client reaches the server. */
export interface ConnectClientOptions {
  /** Sent as `authorization: Bearer <key>` on every call. */
  apiKey?: string;
  httpVersion?: "1.1" | "2";
  /** Protobuf binary instead of JSON. */
  binary?: boolean;
}

function bearer(apiKey: string | undefined): Interceptor[] {
  if (apiKey === undefined) return [];
  return [
    (next) => (req) => {
      req.header.set("authorization", `Bearer ${apiKey}`);
      return next(req);
    },
  ];
}

/** A Connect-protocol transport from @connectrpc/connect-node (HTTP/1.1 or HTTP/2, JSON or binary). */
export function connectTransport(baseUrl: string, options: ConnectClientOptions = {}): Transport {
  return createConnectTransport({
    baseUrl,
    httpVersion: options.httpVersion ?? "2",
    useBinaryFormat: options.binary ?? false,
    interceptors: bearer(options.apiKey),
  });
}

/** A Connect-protocol client of one service. */
export function connectClient<S extends DescService>(service: S, baseUrl: string, options: ConnectClientOptions = {}): Client<S> {
  return createClient(service, connectTransport(baseUrl, options));
}

/**
 * A gRPC-Web client from @connectrpc/connect-web: it uses fetch, so in Node it
 * speaks HTTP/1.1 like a browser behind a proxy would.
 */
export function grpcWebClient<S extends DescService>(
  service: S,
  baseUrl: string,
  options: { apiKey?: string; binary?: boolean } = {},
): Client<S> {
  const transport = createGrpcWebTransport({
    baseUrl,
    useBinaryFormat: options.binary ?? true,
    interceptors: bearer(options.apiKey),
  });
  return createClient(service, transport);
}
