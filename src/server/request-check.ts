import { performance } from "node:perf_hooks";
import { fromBinary, fromJsonString, type DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import { decompress, isSupportedEncoding, supportedEncodings } from "./decompress.js";
import { grpcDeadlineMs } from "./grpc-timeout.js";
import type { Wire } from "./request-wire.js";
import { invalidUtf8Field, undecodable } from "./undecodable.js";

/** The length-prefixed message header: 1 flag byte, 4 bytes big-endian length. */
const frameHeaderBytes = 5;
/** Envelope flag bit 0: the message is compressed with the request's encoding. */
const compressedFlag = 0b0000_0001;

/** Connect's timeout header: 1 to 10 digits of milliseconds (Connect protocol, "Timeout"). */
const connectTimeout = /^\d{1,10}$/;

export interface CheckLimits {
  maxMessageBytes: number;
  /** Default deadline, and the cap on a caller's. */
  requestTimeoutMs: number;
}

/** What the caller's headers say, once found well-formed. */
export interface HeaderVerdict {
  /** The call's deadline in ms from its arrival, capped by the server's. */
  timeoutMs: number;
  /** The compression of the body, undefined for identity. */
  encoding: string | undefined;
}

/**
 * Checks the deadline and compression headers of a request before connect-node
 * reads them: connect-node echoes a malformed value back ("invalid connect
 * timeout value: 1000, abc") and names its internals for an unknown
 * compression. Returns the verdict, or the error to answer with.
 */
export function checkHeaders(header: Headers, wire: Wire, limits: CheckLimits): HeaderVerdict | ConnectError {
  const timeout = header.get(wire.timeoutHeader);
  let timeoutMs = limits.requestTimeoutMs;
  if (timeout !== null) {
    const ms = wire.timeoutHeader === "grpc-timeout" ? grpcDeadlineMs(timeout, limits.requestTimeoutMs) : connectTimeoutMs(timeout, limits.requestTimeoutMs);
    if (ms === undefined) return new ConnectError(`malformed ${wire.timeoutHeader}`, Code.InvalidArgument);
    timeoutMs = ms;
  }
  const requested = header.get(wire.encodingHeader);
  let encoding: string | undefined;
  if (requested !== null && requested !== "identity") {
    if (!isSupportedEncoding(requested)) {
      // The gRPC compression spec and the Connect protocol: UNIMPLEMENTED, listing what we accept.
      return new ConnectError(`unsupported ${wire.encodingHeader}; this server accepts ${supportedEncodings.join(", ")}`, Code.Unimplemented, {
        [wire.acceptHeader]: supportedEncodings.join(","),
      });
    }
    encoding = requested;
  }
  return { timeoutMs, encoding };
}

function connectTimeoutMs(value: string, capMs: number): number | undefined {
  if (!connectTimeout.test(value)) return undefined;
  return Math.min(Number(value), capMs);
}

/** The request body as connect-node should read it, or the error to answer instead. */
export type BodyVerdict =
  | { ok: true; body: Uint8Array }
  | {
      ok: false;
      error: ConnectError;
      /** The body was not read to its end: the connection must not carry another request. */
      abandoned: boolean;
    };

/**
 * Reads a request body whole, but never more than one message may take and
 * never past the call's deadline (an HTTP/1.1 body shorter than its
 * Content-Length would otherwise hold the call until the server's request
 * timeout).
 */
export async function readBody(body: AsyncIterable<Uint8Array>, maxBytes: number, deadlineAt: number): Promise<BodyVerdict> {
  const it = body[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), Math.max(0, deadlineAt - performance.now()));
  });
  try {
    for (;;) {
      const next = await Promise.race([it.next(), expired]);
      if (next === "expired") return { ok: false, error: new ConnectError("deadline exceeded while the request body arrived", Code.DeadlineExceeded), abandoned: true };
      if (next.done === true) break;
      chunks.push(next.value);
      size += next.value.byteLength;
      if (size > maxBytes) return { ok: false, error: tooLarge(maxBytes), abandoned: true };
    }
  } finally {
    clearTimeout(timer);
  }
  return { ok: true, body: chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks) };
}

function tooLarge(maxMessageBytes: number): ConnectError {
  return new ConnectError(`request message larger than ${maxMessageBytes} bytes`, Code.ResourceExhausted);
}

/**
 * The single request message of a unary or server-streaming call, unframed and
 * decompressed, checked to decode as the method's input; or the error to
 * answer. Every refusal is in our words: INVALID_ARGUMENT for a caller's
 * malformed framing, compression or encoding (connect-node answers a
 * truncated gzip body with INTERNAL, and a missing or extra message with
 * UNIMPLEMENTED), RESOURCE_EXHAUSTED for a message over the limit.
 */
export async function checkMessage(
  bytes: Uint8Array,
  wire: Wire,
  encoding: string | undefined,
  input: DescMessage,
  maxMessageBytes: number,
  logger: Logger,
): Promise<{ ok: true; message: Uint8Array } | { ok: false; error: ConnectError }> {
  let message = bytes;
  let compressed = !wire.enveloped && encoding !== undefined;
  if (wire.enveloped) {
    // Ensure the body is exactly one length-prefixed message.
    if (bytes.byteLength < frameHeaderBytes) return refuse(oneMessage());
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const flags = view.getUint8(0);
    const declared = view.getUint32(1);
    if (declared > maxMessageBytes) return refuse(tooLarge(maxMessageBytes));
    if (declared !== bytes.byteLength - frameHeaderBytes) return refuse(oneMessage());
    // Ensure only the compressed flag is set, and only with a compression to read it by.
    if ((flags & ~compressedFlag) !== 0) return refuse(new ConnectError("malformed message frame: unknown flags", Code.InvalidArgument));
    compressed = (flags & compressedFlag) !== 0;
    if (compressed && encoding === undefined) {
      return refuse(new ConnectError(`compressed message without a ${wire.encodingHeader}`, Code.InvalidArgument));
    }
    message = bytes.subarray(frameHeaderBytes);
  }
  if (compressed && encoding !== undefined) {
    const out = await decompress(encoding, message, maxMessageBytes);
    if (out === "too_large") return refuse(tooLarge(maxMessageBytes));
    if (out === "corrupt") return refuse(new ConnectError(`request message is not valid ${encoding} data`, Code.InvalidArgument));
    message = out;
  }
  if (message.byteLength > maxMessageBytes) return refuse(tooLarge(maxMessageBytes));
  // Ensure it decodes, naming the culprit field when one is to blame.
  try {
    if (wire.json) fromJsonString(input, new TextDecoder("utf-8", { fatal: true }).decode(message), { ignoreUnknownFields: true });
    else fromBinary(input, message);
  } catch {
    return refuse(undecodable(logger, wire.json ? undefined : invalidUtf8Field(input, message)));
  }
  return { ok: true, message };
}

function oneMessage(): ConnectError {
  return new ConnectError("a unary request must carry exactly one length-prefixed message", Code.InvalidArgument);
}

function refuse(error: ConnectError): { ok: false; error: ConnectError } {
  return { ok: false, error };
}

/** Frames a message the way the wire expects it, uncompressed. */
export function frameFor(wire: Wire, message: Uint8Array): Uint8Array {
  if (!wire.enveloped) return message;
  const framed = Buffer.alloc(frameHeaderBytes + message.byteLength);
  framed.writeUInt32BE(message.byteLength, 1);
  framed.set(message, frameHeaderBytes);
  return framed;
}

/** A valid empty input message on this wire, for the refusing twin handler. */
export function emptyMessage(wire: Wire): Uint8Array {
  return frameFor(wire, wire.json ? Buffer.from("{}") : new Uint8Array(0));
}
