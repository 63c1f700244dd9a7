/**
 * The closed set of failures domain code may raise. One table in the rpc layer
 * maps each kind to a gRPC/Connect code; anything that is not a DomainError
 * becomes a generic internal error whose cause is logged, never sent.
 */
export type ErrorKind =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "permission_denied"
  | "unauthenticated"
  | "resource_exhausted"
  | "unavailable";

export interface FieldViolation {
  /** The request field, as in the proto (snake_case, dotted for nesting). */
  field: string;
  description: string;
}

export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: {
      violations?: FieldViolation[];
      /** resource_exhausted: how long to wait before trying again. */
      retryAfterMs?: number;
      /** A stable machine-readable reason (google.rpc.ErrorInfo). */
      reason?: string;
    } = {},
  ) {
    super(message);
  }
}

/** Raises INVALID_ARGUMENT naming every bad field at once. */
export function invalidArgument(violations: FieldViolation[]): DomainError {
  const fields = violations.map((v) => v.field).join(", ");
  return new DomainError("invalid_argument", `invalid ${fields}`, { violations });
}

export function notFound(what: string): DomainError {
  return new DomainError("not_found", `${what} not found`);
}

export function failedPrecondition(message: string, reason?: string): DomainError {
  return new DomainError("failed_precondition", message, reason === undefined ? {} : { reason });
}

export function throttled(retryAfterMs: number): DomainError {
  return new DomainError("resource_exhausted", "too many failed attempts; wait before trying again", {
    retryAfterMs,
    reason: "THROTTLED",
  });
}
