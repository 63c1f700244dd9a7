import {
  create,
  fromBinary,
  toBinary,
  type DescMethod,
  type DescMethodUnary,
  type DescService,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { StatusSchema, type Status } from "../../src/gen/google/rpc/status_pb.js";

/** Unary method names of a service, e.g. "listFactors". */
export type UnaryMethodName<S extends DescService> = {
  [K in keyof S["method"]]: S["method"][K] extends DescMethodUnary ? K : never;
}[keyof S["method"]];

type InputOf<S extends DescService, K extends keyof S["method"]> =
  S["method"][K] extends DescMethodUnary<infer I> ? I : never;
type OutputOf<S extends DescService, K extends keyof S["method"]> =
  S["method"][K] extends DescMethodUnary<infer _I, infer O> ? O : never;

export interface GrpcCallOptions {
  /** Sent as `authorization: Bearer <key>`. */
  apiKey?: string;
  metadata?: Record<string, string>;
  /** Client deadline, ms from now (sent as grpc-timeout). */
  deadlineMs?: number;
}

/**
 * A @grpc/grpc-js client for any protobuf-es service: the independent gRPC
 * implementation end-to-end tests speak through, with protobuf-es doing the
 * (de)serialization so no .proto loading is involved.
 */
export interface GrpcTestClient<S extends DescService> {
  unary<K extends UnaryMethodName<S>>(
    method: K,
    request: MessageInitShape<InputOf<S, K>>,
    options?: GrpcCallOptions,
  ): Promise<MessageShape<OutputOf<S, K>>>;
  /** The underlying grpc-js client, for streaming calls. */
  raw: grpc.Client;
  close(): void;
}

/** Builds a grpc-js service definition whose (de)serializers are protobuf-es. */
export function grpcServiceDefinition(service: DescService): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) def[method.localName] = grpcMethodDefinition(service, method);
  return def;
}

function grpcMethodDefinition(service: DescService, method: DescMethod): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: `/${service.typeName}/${method.name}`,
    originalName: method.name,
    requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    requestSerialize: (value: unknown) => Buffer.from(toBinary(method.input, create(method.input, value as never))),
    requestDeserialize: (bytes: Buffer) => fromBinary(method.input, bytes),
    responseSerialize: (value: unknown) => Buffer.from(toBinary(method.output, create(method.output, value as never))),
    responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
  };
}

/** Metadata with the API key and any extra headers. */
export function grpcMetadata(options: GrpcCallOptions = {}): grpc.Metadata {
  const md = new grpc.Metadata();
  if (options.apiKey !== undefined) md.set("authorization", `Bearer ${options.apiKey}`);
  for (const [k, v] of Object.entries(options.metadata ?? {})) md.set(k, v);
  return md;
}

/** Connects a grpc-js client to `address` ("host:port", plaintext). */
export function createGrpcClient<S extends DescService>(service: S, address: string): GrpcTestClient<S> {
  const Ctor = grpc.makeGenericClientConstructor(grpcServiceDefinition(service), service.typeName);
  const raw = new Ctor(address, grpc.credentials.createInsecure());
  return {
    raw,
    unary(method, request, options = {}) {
      const desc = service.method[method as string] as DescMethod;
      const callOptions: grpc.CallOptions =
        options.deadlineMs === undefined ? {} : { deadline: new Date(Date.now() + options.deadlineMs) };
      return new Promise((resolve, reject) => {
        raw.makeUnaryRequest(
          `/${service.typeName}/${desc.name}`,
          (value: unknown) => Buffer.from(toBinary(desc.input, create(desc.input, value as never))),
          (bytes: Buffer) => fromBinary(desc.output, bytes),
          request,
          grpcMetadata(options),
          callOptions,
          (err, value) => (err ? reject(err) : resolve(value as never)),
        );
      });
    },
    close: () => raw.close(),
  };
}

/** The google.rpc.Status a grpc-js error carries in `grpc-status-details-bin`, if any. */
export function grpcStatusDetails(err: unknown): Status | undefined {
  if (!isServiceError(err)) return undefined;
  const [bin] = err.metadata.get("grpc-status-details-bin");
  if (bin === undefined) return undefined;
  return fromBinary(StatusSchema, typeof bin === "string" ? Buffer.from(bin, "base64") : bin);
}

/** Narrowing for grpc-js call errors. */
export function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && "code" in err && "metadata" in err;
}
