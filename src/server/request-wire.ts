import type { DescMethod } from "@bufbuild/protobuf";

/**
 * The wire protocol a request to connect-node speaks, as far as a body check
 * needs to know it: which headers carry its deadline and compression, and
 * whether messages are enveloped (a 5-byte flag + length prefix).
 */
export interface Wire {
  name: "connect" | "connect-stream" | "grpc" | "grpc-web";
  json: boolean;
  enveloped: boolean;
  /** The header naming the request's compression. */
  encodingHeader: string;
  /** The header listing the compressions the caller accepts in the response. */
  acceptHeader: string;
  /** The header carrying the caller's deadline. */
  timeoutHeader: "connect-timeout-ms" | "grpc-timeout";
}

const connectUnary = (json: boolean): Wire => ({
  name: "connect",
  json,
  enveloped: false,
  encodingHeader: "content-encoding",
  acceptHeader: "accept-encoding",
  timeoutHeader: "connect-timeout-ms",
});
const connectStream = (json: boolean): Wire => ({
  name: "connect-stream",
  json,
  enveloped: true,
  encodingHeader: "connect-content-encoding",
  acceptHeader: "connect-accept-encoding",
  timeoutHeader: "connect-timeout-ms",
});
const grpcFamily = (name: "grpc" | "grpc-web", json: boolean): Wire => ({
  name,
  json,
  enveloped: true,
  encodingHeader: "grpc-encoding",
  acceptHeader: "grpc-accept-encoding",
  timeoutHeader: "grpc-timeout",
});

/**
 * The wire of a POST with this content-type to a method of this kind, or
 * undefined when connect-node would not serve it anyway (it answers 415).
 * The content types are those connect-node accepts (Connect protocol
 * "Unary-Content-Type" / "Streaming-Content-Type", gRPC and gRPC-Web's
 * "application/grpc[-web][+proto|+json]").
 */
export function wireOf(contentType: string | null, method: DescMethod): Wire | undefined {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  const unary = method.methodKind === "unary";
  switch (type) {
    case "application/proto":
      return unary ? connectUnary(false) : undefined;
    case "application/json":
      return unary ? connectUnary(true) : undefined;
    case "application/connect+proto":
      return unary ? undefined : connectStream(false);
    case "application/connect+json":
      return unary ? undefined : connectStream(true);
    case "application/grpc-web":
    case "application/grpc-web+proto":
      return grpcFamily("grpc-web", false);
    case "application/grpc-web+json":
      return grpcFamily("grpc-web", true);
    case "application/grpc":
    case "application/grpc+proto":
      return grpcFamily("grpc", false);
    case "application/grpc+json":
      return grpcFamily("grpc", true);
    default:
      return undefined;
  }
}
