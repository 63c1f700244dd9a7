import type { DescService, Message } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { ConnectError, createClient, type CallOptions, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
  type BadRequest,
  type ErrorInfo,
  type RetryInfo,
} from "../../src/gen/google/rpc/error_details_pb.js";
import { connectTransport, grpcWebClient } from "../support/clients.js";
import { createGrpcClient, grpcStatusDetails, isServiceError } from "../support/grpc-client.js";

/** What a call came back with, in the same shape whatever the protocol. */
export interface Outcome {
  code: number;
  message: string;
  response?: Message;
  badRequest?: BadRequest;
  retryInfo?: RetryInfo;
  errorInfo?: ErrorInfo;
}

export interface CallSpec {
  apiKey?: string;
  deadlineMs?: number;
  requestId?: string;
}

/** One real client library speaking one protocol variant. */
export interface ProtocolClient {
  name: string;
  call(service: DescService, method: string, request: object, spec?: CallSpec): Promise<Outcome>;
  close(): void;
}

type UntypedMethod = (req: object, opts?: CallOptions) => Promise<Message>;

function fromConnectError(err: unknown): Outcome {
  if (!(err instanceof ConnectError)) throw err;
  return {
    code: err.code,
    message: err.rawMessage,
    badRequest: err.findDetails(BadRequestSchema)[0],
    retryInfo: err.findDetails(RetryInfoSchema)[0],
    errorInfo: err.findDetails(ErrorInfoSchema)[0],
  };
}

function connectFamily(name: string, make: (service: DescService, apiKey: string | undefined) => Record<string, UntypedMethod>): ProtocolClient {
  const cache = new Map<string, Record<string, UntypedMethod>>();
  return {
    name,
    async call(service, method, request, spec = {}) {
      const key = `${service.typeName}|${spec.apiKey ?? ""}`;
      let client = cache.get(key);
      if (client === undefined) cache.set(key, (client = make(service, spec.apiKey)));
      const fn = client[method];
      if (fn === undefined) throw new Error(`no method ${method}`);
      const headers: Record<string, string> = spec.requestId === undefined ? {} : { "x-request-id": spec.requestId };
      try {
        const response = await fn(request, { headers, ...(spec.deadlineMs === undefined ? {} : { timeoutMs: spec.deadlineMs }) });
        return { code: 0, message: "", response };
      } catch (err) {
        return fromConnectError(err);
      }
    },
    close: () => undefined,
  };
}

function grpcJs(address: string): ProtocolClient {
  const clients = new Map<string, ReturnType<typeof createGrpcClient>>();
  return {
    name: "gRPC (@grpc/grpc-js, HTTP/2)",
    async call(service, method, request, spec = {}) {
      let client = clients.get(service.typeName);
      if (client === undefined) clients.set(service.typeName, (client = createGrpcClient(service, address)));
      try {
        const response = await client.unary(method as never, request as never, {
          ...(spec.apiKey === undefined ? {} : { apiKey: spec.apiKey }),
          ...(spec.deadlineMs === undefined ? {} : { deadlineMs: spec.deadlineMs }),
          metadata: spec.requestId === undefined ? {} : { "x-request-id": spec.requestId },
        });
        return { code: 0, message: "", response: response as Message };
      } catch (err) {
        if (!isServiceError(err)) throw err;
        const status = grpcStatusDetails(err);
        const unpack = <T extends Message>(schema: Parameters<typeof anyUnpack>[1]): T | undefined => {
          for (const any of status?.details ?? []) {
            const m = anyUnpack(any, schema);
            if (m !== undefined) return m as T;
          }
          return undefined;
        };
        return {
          code: err.code,
          message: err.details,
          badRequest: unpack<BadRequest>(BadRequestSchema),
          retryInfo: unpack<RetryInfo>(RetryInfoSchema),
          errorInfo: unpack<ErrorInfo>(ErrorInfoSchema),
        };
      }
    },
    close: () => clients.forEach((c) => c.close()),
  };
}

function bearer(apiKey: string | undefined): Interceptor[] {
  return apiKey === undefined
    ? []
    : [
        (next) => (req) => {
          req.header.set("authorization", `Bearer ${apiKey}`);
          return next(req);
        },
      ];
}

/** Every client the transports must serve: grpc-js, Connect in four variants, gRPC-Web over HTTP/1.1 and 2, connect-node's gRPC. */
export function protocolClients(url: string, address: string): ProtocolClient[] {
  const connect = (httpVersion: "1.1" | "2", binary: boolean): ProtocolClient =>
    connectFamily(`Connect (${binary ? "binary" : "JSON"}, HTTP/${httpVersion})`, (service, apiKey) =>
      createClient(service, connectTransport(url, { httpVersion, binary, ...(apiKey === undefined ? {} : { apiKey }) })) as unknown as Record<string, UntypedMethod>,
    );
  return [
    grpcJs(address),
    connect("1.1", false),
    connect("1.1", true),
    connect("2", false),
    connect("2", true),
    connectFamily("gRPC-Web (@connectrpc/connect-web, fetch, HTTP/1.1)", (service, apiKey) =>
      grpcWebClient(service, url, apiKey === undefined ? {} : { apiKey }) as unknown as Record<string, UntypedMethod>,
    ),
    connectFamily("gRPC-Web (@connectrpc/connect-node, HTTP/2)", (service, apiKey) =>
      createClient(service, createGrpcWebTransport({ baseUrl: url, httpVersion: "2", interceptors: bearer(apiKey) })) as unknown as Record<string, UntypedMethod>,
    ),
    connectFamily("gRPC (@connectrpc/connect-node, HTTP/2)", (service, apiKey) =>
      createClient(service, createGrpcTransport({ baseUrl: url, interceptors: bearer(apiKey) })) as unknown as Record<string, UntypedMethod>,
    ),
  ];
}
