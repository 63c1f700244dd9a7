import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import { DomainError, type ErrorKind } from "../domain/errors.js";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../gen/google/rpc/status_pb.js";

/** The google.rpc.ErrorInfo domain of every reason twofold sends. */
export const errorDomain = "twofold";

/** The one table from domain error kinds to wire codes (STYLE habit 3). */
const codeOfKind: Record<ErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  permission_denied: Code.PermissionDenied,
  unauthenticated: Code.Unauthenticated,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
};

/**
 * Postgres SQLSTATEs and socket errors that mean "the database cannot serve
 * this now", not "the request is bad": unreachable or restarting (57P0x,
 * class 08), out of resources (class 53: connections, memory, disk), a
 * serialization failure or deadlock that rolled the statement back (40001,
 * 40P01), a system error (class 58). All are worth retrying.
 */
const databaseDownCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EPIPE",
  // A Unix-socket DATABASE_URL whose server is stopped: the socket file is gone.
  "ENOENT",
  "EAI_AGAIN",
  "57P01",
  "57P02",
  "57P03",
  "57P04",
  "40001",
  "40P01",
]);
const databaseDownClasses = /^(?:08|53|58)[0-9A-Z]{3}$/;

/**
 * SQLSTATEs that mean the call ran out of time: 57014 (a statement cancelled
 * at the call's deadline, refused because it had passed, or stopped by
 * statement_timeout) and 55P03 (a lock not granted within lock_timeout). The
 * statement rolled back, so DEADLINE_EXCEEDED still means nothing changed.
 */
const deadlineCodes = new Set(["57014", "55P03"]);

type OutgoingDetail = { desc: DescMessage; value: MessageInitShape<DescMessage> };

/**
 * Turns anything a handler threw into the ConnectError sent to the caller.
 * Both transports (the gRPC fast path and connect-node) call this, so every
 * protocol sees the same code, message and details. Only DomainError messages
 * (written by us, free of input) and ConnectErrors reach the caller; anything
 * else is logged here and answered with a fixed message.
 */
export function toConnectError(err: unknown, logger: Logger): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof DomainError) return fromDomainError(err);
  if (isDeadlineExceeded(err)) {
    logger.debug({ errCode: errorCodeOf(err) }, "database statement stopped at the deadline");
    return new ConnectError("deadline exceeded", Code.DeadlineExceeded);
  }
  if (isDatabaseUnavailable(err)) {
    logger.warn({ errCode: errorCodeOf(err) }, "database unavailable");
    return new ConnectError("database unavailable", Code.Unavailable);
  }
  logger.error({ err }, "internal error");
  return new ConnectError("internal error", Code.Internal);
}

function fromDomainError(err: DomainError): ConnectError {
  const details: OutgoingDetail[] = [];
  const { violations, retryAfterMs, reason } = err.details;
  if (violations !== undefined && violations.length > 0) {
    details.push({
      desc: BadRequestSchema,
      value: { fieldViolations: violations.map((v) => ({ field: v.field, description: v.description })) },
    });
  }
  if (retryAfterMs !== undefined) {
    const ms = Math.max(0, Math.ceil(retryAfterMs));
    details.push({
      desc: RetryInfoSchema,
      value: { retryDelay: { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 } },
    });
  }
  if (reason !== undefined) {
    details.push({ desc: ErrorInfoSchema, value: { reason, domain: errorDomain } });
  }
  return new ConnectError(err.message, codeOfKind[err.kind], undefined, details);
}

/** True for pg / socket failures that mean the database cannot be reached right now. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const code = errorCodeOf(e);
    if (code !== undefined && (databaseDownCodes.has(code) || databaseDownClasses.test(code))) return true;
    if (e instanceof Error && /Connection terminated/.test(e.message)) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

/** True for a statement stopped, or not started, because the call's time was up. */
export function isDeadlineExceeded(err: unknown): boolean {
  const code = errorCodeOf(err);
  return code !== undefined && deadlineCodes.has(code);
}

function errorCodeOf(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null || !("code" in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/**
 * The value of the `grpc-status-details-bin` trailer: base64 of a
 * google.rpc.Status carrying the error's details as Any (gRPC's richer error
 * model), or undefined when the error has no details. grpc-js, grpc-go and
 * connect clients all read it.
 */
export function grpcStatusDetailsBin(err: ConnectError): string | undefined {
  if (err.details.length === 0) return undefined;
  const status = create(StatusSchema, {
    code: err.code,
    message: err.rawMessage,
    details: err.details.map((d) =>
      "desc" in d
        ? anyPack(d.desc, create(d.desc, d.value))
        : { typeUrl: `type.googleapis.com/${d.type}`, value: d.value },
    ),
  });
  return Buffer.from(toBinary(StatusSchema, status)).toString("base64");
}

/** Percent-encodes a grpc-message value as the gRPC HTTP/2 spec asks (RFC 3986 unreserved kept). */
export function grpcMessageEncode(message: string): string {
  return encodeURIComponent(message);
}
