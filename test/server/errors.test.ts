import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { DomainError, failedPrecondition, invalidArgument, notFound, throttled, type ErrorKind } from "../../src/domain/errors.js";
import { BadRequestSchema, RetryInfoSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../src/gen/google/rpc/status_pb.js";
import { grpcStatusDetailsBin, toConnectError } from "../../src/rpc/errors.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
  return { logger, lines };
}

describe("toConnectError", () => {
  it.each<[ErrorKind, Code]>([
    ["invalid_argument", Code.InvalidArgument],
    ["not_found", Code.NotFound],
    ["already_exists", Code.AlreadyExists],
    ["failed_precondition", Code.FailedPrecondition],
    ["permission_denied", Code.PermissionDenied],
    ["unauthenticated", Code.Unauthenticated],
    ["resource_exhausted", Code.ResourceExhausted],
    ["unavailable", Code.Unavailable],
  ])("maps the %s kind to code %i with the domain's message", (kind, code) => {
    const err = toConnectError(new DomainError(kind, `a ${kind} case`), capture().logger);
    expect(err.code).toBe(code);
    expect(err.rawMessage).toBe(`a ${kind} case`);
  });

  it("attaches a BadRequest naming every bad field", () => {
    const err = toConnectError(
      invalidArgument([
        { field: "user_id", description: "empty" },
        { field: "spec.totp.digits", description: "must be 6 or 8" },
      ]),
      capture().logger,
    );
    expect(err.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["user_id", "spec.totp.digits"]);
  });

  it("attaches a RetryInfo with the wait, split into seconds and nanos", () => {
    const err = toConnectError(throttled(2500), capture().logger);
    const delay = err.findDetails(RetryInfoSchema)[0]?.retryDelay;
    expect(delay?.seconds).toBe(2n);
    expect(delay?.nanos).toBe(500_000_000);
  });

  it("keeps the reason of a failed precondition as ErrorInfo", () => {
    const err = toConnectError(failedPrecondition("transaction spent", "TRANSACTION_SPENT"), capture().logger);
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.details).toHaveLength(1);
  });

  it("passes a ConnectError through untouched", () => {
    const original = new ConnectError("nope", Code.Aborted);
    expect(toConnectError(original, capture().logger)).toBe(original);
  });

  it.each([
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })],
    ["an unknown host", Object.assign(new Error("getaddrinfo ENOTFOUND db"), { code: "ENOTFOUND" })],
    ["an administrator shutdown (57P01)", Object.assign(new Error("terminating connection"), { code: "57P01" })],
    ["a server starting up (57P03)", Object.assign(new Error("the database system is starting up"), { code: "57P03" })],
    ["a connection exception (08006)", Object.assign(new Error("connection failure"), { code: "08006" })],
    ["a terminated connection", new Error("Connection terminated unexpectedly")],
    ["an AggregateError of refused connections", new AggregateError([Object.assign(new Error("x"), { code: "ECONNREFUSED" })], "")],
    ["a wrapped cause", new Error("query failed", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) })],
  ])("answers UNAVAILABLE \"database unavailable\" for %s", (_name, cause) => {
    const err = toConnectError(cause, capture().logger);
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toBe("database unavailable");
  });

  it("answers INTERNAL for any other failure, logging the cause and never sending it", () => {
    const { logger, lines } = capture();
    const err = toConnectError(Object.assign(new Error('duplicate key value violates "api_keys_pkey" secret=abc'), { code: "23505" }), logger);
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toBe("internal error");
    expect(err.details).toHaveLength(0);
    expect(JSON.stringify(lines)).toContain("api_keys_pkey");
  });

  it("answers INTERNAL for a thrown non-Error value", () => {
    expect(toConnectError("a string", capture().logger).code).toBe(Code.Internal);
    expect(toConnectError(undefined, capture().logger).code).toBe(Code.Internal);
  });
});

describe("grpcStatusDetailsBin", () => {
  it("encodes the code, message and details as a base64 google.rpc.Status", () => {
    const err = toConnectError(invalidArgument([{ field: "user_id", description: "empty" }]), capture().logger);
    const bin = grpcStatusDetailsBin(err);
    expect(bin).toBeDefined();
    const status = fromBinary(StatusSchema, Buffer.from(bin as string, "base64"));
    expect(status.code).toBe(Code.InvalidArgument);
    expect(status.message).toBe("invalid user_id");
    const [any] = status.details;
    expect(any === undefined ? undefined : anyUnpack(any, BadRequestSchema)?.fieldViolations[0]?.field).toBe("user_id");
  });

  it("is absent for an error without details", () => {
    expect(grpcStatusDetailsBin(toConnectError(notFound("factor"), capture().logger))).toBeUndefined();
  });
});
