/** Milliseconds per grpc-timeout unit (gRPC over HTTP/2, "Timeout → TimeoutValue TimeoutUnit"). */
const unitMs: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/**
 * The deadline of a call in ms: the caller's `grpc-timeout` capped by the
 * server's limit, or the server's default when absent. Returns undefined for a
 * malformed header (at most 8 digits and one unit, per the spec).
 */
export function grpcDeadlineMs(header: string | undefined, capMs: number): number | undefined {
  if (header === undefined) return capMs;
  const unit = unitMs[header.charAt(header.length - 1)];
  const digits = header.slice(0, -1);
  if (unit === undefined || digits.length === 0 || digits.length > 8 || !/^\d+$/.test(digits)) return undefined;
  return Math.min(Number(digits) * unit, capMs);
}
