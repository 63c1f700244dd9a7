import { Code } from "@connectrpc/connect";
import type { Wire } from "./cases.js";
import type { RawAnswer } from "./raw-clients.js";

/** The outcome of one call as a client would read it. */
export interface Verdict {
  /** 0 for OK; undefined when the answer carries no RPC status at all (a bare HTTP error). */
  code: number | undefined;
  message: string;
  httpStatus: number;
}

const connectCodes: Record<string, number> = {};
for (const [name, value] of Object.entries(Code)) {
  if (typeof value === "number") connectCodes[name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase()] = value;
}

/** Reads the status of a gRPC-Web trailer frame (flag 0x80) in a response body. */
function grpcWebTrailer(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (let at = 0; at + 5 <= body.byteLength; ) {
    const flags = body[at] as number;
    const length = body.readUInt32BE(at + 1);
    const data = body.subarray(at + 5, at + 5 + length);
    if ((flags & 0x80) !== 0) {
      for (const line of data.toString("latin1").split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
    }
    at += 5 + length;
  }
  return out;
}

export function verdictOf(wire: Wire, answer: RawAnswer): Verdict {
  const httpStatus = answer.status;
  if (wire.family === "connect") {
    if (httpStatus === 200) return { code: 0, message: "", httpStatus };
    try {
      const error = JSON.parse(answer.body.toString("utf8")) as { code?: string; message?: string };
      return { code: error.code === undefined ? undefined : (connectCodes[error.code] ?? -1), message: error.message ?? "", httpStatus };
    } catch {
      return { code: undefined, message: answer.body.toString("utf8").slice(0, 200), httpStatus };
    }
  }
  const all = { ...answer.headers, ...answer.trailers, ...(wire.family === "grpc-web" ? grpcWebTrailer(answer.body) : {}) };
  const status = all["grpc-status"];
  let message = all["grpc-message"] ?? "";
  try {
    message = decodeURIComponent(message);
  } catch {
    // left as sent; the judge reads it either way
  }
  return { code: status === undefined ? undefined : Number(status), message, httpStatus };
}

/**
 * Wording that belongs to a library, a parser or the database, never to our
 * answers: connect-node's protocol errors, protobuf-es and JSON parser
 * errors, zlib's, node's error codes, SQL and driver text.
 */
const libraryWording =
  /protocol error|cannot decode|cannot encode|unexpected end|unexpected token|unexpected non-whitespace|in json at position|invalid (?:connect|grpc) timeout|must be <=|unknown compression|supported encodings are|readmaxbytes|writemaxbytes|incorrect header check|\bz_[a-z_]+\b|premature|wire type|illegal tag|invalid base64|received extra|missing input|promised \d+ bytes|\berr_[a-z_]+\b|econn|node:|typeerror|rangeerror|syntaxerror|\bundefined\b|\[object|sqlstate|relation "|column "|duplicate key|violates|postgres|\bpg\b/i;

/** Status codes that mean the server failed, never a caller's fault. */
const serverFaults = new Set<number>([Code.Unknown, Code.Internal, Code.DataLoss]);

/** What is wrong with an answer, or an empty list. */
export function problemsWith(verdict: Verdict, answer: RawAnswer, deadlineMs: number, slackMs: number): string[] {
  const problems: string[] = [];
  if (verdict.httpStatus === 500) problems.push("HTTP 500");
  if (verdict.httpStatus === 0 && verdict.code === undefined) problems.push("no answer: the stream or connection ended without a status");
  if (verdict.code !== undefined && serverFaults.has(verdict.code)) problems.push(`status ${Code[verdict.code] ?? verdict.code}: ${verdict.message}`);
  if (verdict.code === -1) problems.push(`an unknown Connect error code: ${verdict.message}`);
  if (libraryWording.test(verdict.message)) problems.push(`library wording in the message: ${JSON.stringify(verdict.message)}`);
  if (answer.durationMs > deadlineMs + slackMs) problems.push(`answered after ${Math.round(answer.durationMs)} ms against a ${deadlineMs} ms deadline`);
  return problems;
}
