/**
 * twofold's client library (`import … from "twofold/client"`): typed clients
 * of every twofold.v1 service over gRPC or Connect, the bearer key set,
 * deadlines, safe retries, and TwofoldError with the rich details decoded.
 */
export { Code } from "@connectrpc/connect";
export * as v1 from "./api.js";
export { HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
export { createTwofoldClient, type TwofoldClient, type TwofoldClientOptions } from "./create-client.js";
export { mayRetry, procedureKinds, type ProcedureKind, type RetryOptions } from "./retry-policy.js";
export type { TwofoldProtocol } from "./transport.js";
export { TwofoldError, type FieldViolation } from "./twofold-error.js";
