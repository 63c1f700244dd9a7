import type { ServiceImpl } from "@connectrpc/connect";
import { Code } from "@connectrpc/connect";
import { ServerReflection as ReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1Alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { DescriptorIndex } from "./descriptor-index.js";

/** The request fields both reflection versions share (v1alpha is v1 under another package). */
interface ReflectionQuery {
  messageRequest:
    | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

const notFound = (what: string): ReflectionAnswer => ({
  case: "errorResponse",
  value: { errorCode: Code.NotFound, errorMessage: `${what} not found` },
});

/**
 * Answers one reflection request. Per the reflection protocol, a failure is
 * an ErrorResponse inside the stream, not an RPC error, so one bad lookup does
 * not end a grpcurl session.
 */
export function answerReflection(index: DescriptorIndex, query: ReflectionQuery): ReflectionAnswer {
  const r = query.messageRequest;
  switch (r.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.services.map((name) => ({ name })) } };
    case "fileByFilename": {
      const files = index.fileByName(r.value);
      return files === undefined ? notFound("file") : { case: "fileDescriptorResponse", value: { fileDescriptorProto: files } };
    }
    case "fileContainingSymbol": {
      const files = index.fileBySymbol(r.value);
      return files === undefined ? notFound("symbol") : { case: "fileDescriptorResponse", value: { fileDescriptorProto: files } };
    }
    case "allExtensionNumbersOfType":
      // No served message declares extension ranges, so a known type has none.
      return index.fileBySymbol(r.value) === undefined
        ? notFound("type")
        : { case: "allExtensionNumbersResponse", value: { baseTypeName: r.value, extensionNumber: [] } };
    case "fileContainingExtension":
      return notFound("extension");
    default:
      return { case: "errorResponse", value: { errorCode: Code.InvalidArgument, errorMessage: "empty reflection request" } };
  }
}

/** grpc.reflection.v1.ServerReflection, the version current grpcurl and buf curl ask first. */
export function reflectionV1(index: DescriptorIndex): Partial<ServiceImpl<typeof ReflectionV1>> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, messageResponse: answerReflection(index, req) };
      }
    },
  };
}

/** grpc.reflection.v1alpha.ServerReflection, for older clients (Postman, grpcurl before 1.8.8). */
export function reflectionV1Alpha(index: DescriptorIndex): Partial<ServiceImpl<typeof ReflectionV1Alpha>> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, messageResponse: answerReflection(index, req) };
      }
    },
  };
}
