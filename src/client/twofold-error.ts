import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.js";

/** One bad field of a refused request (google.rpc.BadRequest.FieldViolation). */
export interface FieldViolation {
  /** The field's path in the request, e.g. `totp.digits`. */
  field: string;
  description: string;
}

/**
 * A failed call to twofold, with the rich error details decoded, so callers
 * branch on typed fields rather than unpack google.protobuf.Any themselves:
 * the same on the gRPC (grpc-status-details-bin trailer) and the Connect
 * (JSON error body) protocols.
 */
export class TwofoldError extends Error {
  override readonly name = "TwofoldError";
  /** The gRPC status code. */
  readonly code: Code;
  /** The service's message without the code prefix that `message` carries. */
  readonly rawMessage: string;
  /** `package.Service/Method` of the failed call. */
  readonly procedure: string;
  /** google.rpc.ErrorInfo `reason` (e.g. `CREDENTIAL_ALREADY_REGISTERED`), when the service sent one. */
  readonly reason: string | undefined;
  /** google.rpc.ErrorInfo `domain` that qualifies `reason` (`twofold`). */
  readonly reasonDomain: string | undefined;
  /** google.rpc.RetryInfo `retry_delay` in milliseconds: how long a throttled caller must wait. */
  readonly retryAfterMs: number | undefined;
  /** google.rpc.BadRequest: every bad field of an INVALID_ARGUMENT, in the service's order. */
  readonly fieldViolations: readonly FieldViolation[];
  /** Response headers and trailers of the failed call. */
  readonly metadata: Headers;
  /** Attempts made, retries included. */
  readonly attempts: number;

  constructor(cause: ConnectError, procedure: string, attempts = 1) {
    super(`[${codeName(cause.code)}] ${procedure}: ${cause.rawMessage}`, { cause });
    this.code = cause.code;
    this.rawMessage = cause.rawMessage;
    this.procedure = procedure;
    this.metadata = cause.metadata;
    this.attempts = attempts;
    // Details are decoded once, here: the success path never pays for them.
    const info = cause.findDetails(ErrorInfoSchema)[0];
    this.reason = info?.reason;
    this.reasonDomain = info?.domain;
    const delay = cause.findDetails(RetryInfoSchema)[0]?.retryDelay;
    this.retryAfterMs = delay === undefined ? undefined : Number(delay.seconds) * 1000 + Math.round(delay.nanos / 1_000_000);
    this.fieldViolations = cause.findDetails(BadRequestSchema).flatMap((b) =>
      b.fieldViolations.map((v) => ({ field: v.field, description: v.description })),
    );
  }

  /** Any failure of a call (a ConnectError, an abort, a socket error) as a TwofoldError. */
  static from(err: unknown, procedure: string, attempts = 1): TwofoldError {
    if (err instanceof TwofoldError) return err;
    return new TwofoldError(ConnectError.from(err), procedure, attempts);
  }
}

/** `Code.ResourceExhausted` → `resource_exhausted`, as gRPC spells codes in text. */
export function codeName(code: Code): string {
  const name = Code[code] as string | undefined;
  return name === undefined ? String(code) : name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}
