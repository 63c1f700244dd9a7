import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { performance } from "node:perf_hooks";
import { create, fromBinary, isMessage, toBinary, type DescMessage, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Caller } from "../domain/caller.js";
import { callerKey, deadlineKey, requestIdKey } from "../rpc/context.js";
import { grpcMessageEncode, grpcStatusDetailsBin, toConnectError } from "../rpc/errors.js";
import { CallDeadline } from "../store/call-deadline.js";
import { authorize, singleAuthorization, type Authenticate } from "./auth.js";
import { outputEncoder } from "./encode-output.js";
import { abortError, afterCommit } from "./deadline-race.js";
import { grpcDeadlineMs } from "./grpc-timeout.js";
import { LeanHandlerContext } from "./lean-context.js";
import { invalidUtf8Field, undecodable } from "./undecodable.js";
import { requestIdFrom } from "./request-id.js";
import type { UnaryRoute } from "./routes.js";
import { logRpc } from "./rpc-log.js";

/** What the fast path needs from the server; built once, shared by every call. */
export interface GrpcUnaryOptions {
  logger: Logger;
  authenticate: Authenticate;
  maxMessageBytes: number;
  requestTimeoutMs: number;
  /** Aborted when the server's grace period ends; aborts every handler's signal. */
  shutdownSignal: AbortSignal;
}

/** The length-prefixed message header: 1 flag byte, 4 bytes big-endian length. */
const frameHeaderBytes = 5;

/** Whether a content-type is served by the fast path (gRPC with the protobuf codec). */
export function isGrpcProto(contentType: string | undefined): boolean {
  return contentType === "application/grpc" || contentType === "application/grpc+proto";
}

/**
 * Serves one unary gRPC call directly on an HTTP/2 stream: one length-prefixed
 * request message in, headers + one data frame + trailers out. It exists
 * because connect-node's generic gRPC handler costs about five times what
 * grpc-js does per call; this path does only what a unary call needs and
 * calls the same ServiceImpl method with a Connect HandlerContext (lean-context.ts), so
 * handlers cannot tell the transports apart.
 */
export function serveGrpcUnary(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  rawHeaders: readonly string[],
  route: UnaryRoute,
  opts: GrpcUnaryOptions,
): void {
  const call = new UnaryCall(stream, headers, rawHeaders, route, opts);
  call.start();
}

class UnaryCall {
  private readonly started = performance.now();
  private readonly requestId: string;
  private done = false;
  private caller: Caller | undefined;
  private timer: NodeJS.Timeout | undefined;
  private context: LeanHandlerContext | undefined;
  private chunks: Buffer[] = [];
  private received = 0;
  private deadlineMs = 0;
  /** The call's deadline as the database layer sees it (call-deadline.ts). */
  private deadline: CallDeadline | undefined;
  private authenticated = false;
  private bodyComplete = false;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly rawHeaders: readonly string[],
    private readonly route: UnaryRoute,
    private readonly opts: GrpcUnaryOptions,
  ) {
    this.requestId = requestIdFrom(headerString(headers["x-request-id"]));
  }

  start(): void {
    const { stream, headers } = this;
    stream.on("close", () => this.onClose());
    stream.on("error", () => undefined); // a reset stream; "close" follows and ends the call.

    // Ensure the request uses an encoding we can read (gRPC compression spec).
    const encoding = headerString(headers["grpc-encoding"]);
    if (encoding !== undefined && encoding !== "identity") {
      this.fail(new ConnectError("unsupported grpc-encoding; this server accepts identity", Code.Unimplemented));
      return;
    }
    // Ensure the deadline is well-formed, then cap it by the server's.
    const deadline = grpcDeadlineMs(headerString(headers["grpc-timeout"]), this.opts.requestTimeoutMs);
    if (deadline === undefined) {
      this.fail(new ConnectError("malformed grpc-timeout", Code.InvalidArgument));
      return;
    }
    this.deadlineMs = deadline;
    const callDeadline = new CallDeadline(this.started + deadline);
    this.deadline = callDeadline;
    this.timer = setTimeout(() => this.onDeadline(callDeadline), deadline);

    // Authenticate while the body arrives; a refusal is answered at once.
    authorize(this.route.access, singleAuthorization(this.rawHeaders), this.opts.authenticate, callDeadline).then(
      (caller) => {
        this.caller = caller;
        this.authenticated = true;
        if (this.bodyComplete) this.guarded(() => this.onEnd());
      },
      (err: unknown) => this.handlerFailed(err),
    );
    stream.on("data", (chunk: Buffer) => this.onData(chunk));
    stream.on("end", () => {
      this.bodyComplete = true;
      if (this.authenticated) this.guarded(() => this.onEnd());
    });
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    this.received += chunk.length;
    this.chunks.push(chunk);
    // Ensure the message fits, from its declared length as soon as it is known.
    const first = this.chunks[0];
    const declared = first !== undefined && first.length >= frameHeaderBytes ? first.readUInt32BE(1) : 0;
    const limit = this.opts.maxMessageBytes;
    if (declared > limit || this.received > limit + frameHeaderBytes) {
      this.chunks = [];
      this.fail(new ConnectError(`request message larger than ${limit} bytes`, Code.ResourceExhausted));
    }
  }

  private onEnd(): void {
    if (this.done) return;
    const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.chunks = [];
    // Ensure the body is exactly one uncompressed length-prefixed message.
    if (body.length < frameHeaderBytes || body.readUInt32BE(1) !== body.length - frameHeaderBytes) {
      this.fail(new ConnectError("a unary request must carry exactly one length-prefixed message", Code.InvalidArgument));
      return;
    }
    if (body[0] !== 0) {
      this.fail(new ConnectError("compressed message without a grpc-encoding", Code.InvalidArgument));
      return;
    }
    const impl = this.route.impl;
    if (impl === undefined) {
      this.fail(new ConnectError(`${this.route.service.typeName}.${this.route.method.name} is not implemented`, Code.Unimplemented));
      return;
    }
    let input: Message;
    const message = body.subarray(frameHeaderBytes);
    try {
      input = fromBinary(this.route.method.input, message);
    } catch {
      // Ensure no library text reaches the caller: name the field, not the parser's words.
      this.fail(undecodable(this.opts.logger, invalidUtf8Field(this.route.method.input, message)));
      return;
    }
    const values = createContextValues();
    values.set(callerKey, this.caller);
    values.set(requestIdKey, this.requestId);
    values.set(deadlineKey, this.deadline);
    const ctx = new LeanHandlerContext(
      this.route.service,
      this.route.method,
      this.route.path,
      values,
      this.headers,
      this.started + this.deadlineMs,
      this.opts.shutdownSignal,
    );
    this.context = ctx;
    let result: unknown;
    try {
      result = impl(input, ctx);
    } catch (err) {
      this.handlerFailed(err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (output: unknown) => this.succeed(output),
        (err: unknown) => this.handlerFailed(err),
      );
    } else {
      this.succeed(result);
    }
  }

  /**
   * The deadline passed. With no commit under way or done, DEADLINE_EXCEEDED
   * now; otherwise the handler's real result, whenever it comes, since that
   * answer must tell what changed (call-deadline.ts). Either way the call's
   * statements are cancelled and no new commit starts.
   */
  private onDeadline(deadline: CallDeadline): void {
    this.timer = undefined;
    const reason = new ConnectError("deadline exceeded", Code.DeadlineExceeded);
    deadline.abort(reason);
    if (!deadline.mustFinish) this.fail(reason);
  }

  /** True when the call's time ran out before anything was committed: its only honest answer is the abort. */
  private get endedUncommitted(): boolean {
    const deadline = this.deadline;
    return deadline !== undefined && deadline.aborted && !deadline.committed;
  }

  private handlerFailed(err: unknown): void {
    if (this.done) return;
    if (this.endedUncommitted && this.deadline !== undefined) this.fail(abortError(this.deadline));
    else this.fail(afterCommit(toConnectError(err, this.opts.logger), this.deadline));
  }

  private succeed(output: unknown): void {
    if (this.done) return;
    // Ensure an answer that arrives after the deadline is sent as a success only if it committed.
    if (this.endedUncommitted && this.deadline !== undefined) {
      this.fail(abortError(this.deadline));
      return;
    }
    const aborted = this.deadline?.committed === true ? undefined : this.context?.abortedReason;
    if (aborted !== undefined) {
      const reason = aborted.reason;
      this.fail(reason instanceof ConnectError ? reason : new ConnectError("server shutting down", Code.Unavailable));
      return;
    }
    let frame: Buffer;
    try {
      frame = encodeFrame(this.route.method.output, output);
    } catch (err) {
      this.fail(toConnectError(err, this.opts.logger));
      return;
    }
    const length = frame.length - frameHeaderBytes;
    if (length > this.opts.maxMessageBytes) {
      this.fail(new ConnectError(`response message larger than ${this.opts.maxMessageBytes} bytes`, Code.ResourceExhausted));
      return;
    }
    frame[0] = 0;
    frame.writeUInt32BE(length, 1);

    const ctx = this.context;
    const responseHeaders: OutgoingHttpHeaders = {
      ":status": 200,
      "content-type": "application/grpc",
      "grpc-accept-encoding": "identity",
    };
    const trailers: OutgoingHttpHeaders = { "grpc-status": "0" };
    ctx?.responseHeaderIfAny?.forEach((value, key) => (responseHeaders[key] = value));
    ctx?.responseTrailerIfAny?.forEach((value, key) => (trailers[key] = value));
    this.finish(0);
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    this.write(() => {
      stream.respond(responseHeaders, { waitForTrailers: true });
      stream.once("wantTrailers", () => this.write(() => stream.sendTrailers(trailers)));
      stream.end(frame);
    });
  }

  /** Answers with a trailers-only response (gRPC's "Trailers-Only"): status in the one HEADERS frame. */
  private fail(err: ConnectError): void {
    if (this.done) return;
    this.finish(err.code, err);
    const stream = this.stream;
    if (stream.destroyed || stream.closed || stream.headersSent) return;
    const out: OutgoingHttpHeaders = {
      ":status": 200,
      "content-type": "application/grpc",
      "grpc-accept-encoding": "identity",
      "grpc-status": String(err.code),
      "grpc-message": grpcMessageEncode(err.rawMessage),
    };
    const details = grpcStatusDetailsBin(err);
    if (details !== undefined) out["grpc-status-details-bin"] = details;
    this.write(() => {
      stream.respond(out, { endStream: true });
      // Drain whatever the client still sends so flow control does not stall the session.
      stream.resume();
    });
  }

  /**
   * Runs a step of the call from an event or promise callback: a bug must
   * answer INTERNAL (and be logged), not throw out of the callback and take
   * the process down with an unhandled error.
   */
  private guarded(step: () => void): void {
    try {
      step();
    } catch (err) {
      this.fail(toConnectError(err, this.opts.logger));
    }
  }

  /** Writes to the stream; a stream the peer reset meanwhile makes node throw, which only means the call is over. */
  private write(io: () => void): void {
    try {
      io();
    } catch {
      this.stream.destroy();
    }
  }

  private onClose(): void {
    if (this.done) return;
    // The client reset the stream or went away before we answered.
    this.finish(Code.Canceled, new ConnectError("the client cancelled the call", Code.Canceled));
  }

  private finish(code: Code | 0, reason?: ConnectError): void {
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    // The answer is out (or nobody waits for it): stop the call's statements, unless a commit must finish.
    if (reason !== undefined) this.deadline?.abort(reason);
    this.context?.abort(reason);
    logRpc(this.opts.logger, {
      method: this.route.name,
      code,
      durationMs: performance.now() - this.started,
      tenant: this.caller?.tenant,
      requestId: this.requestId,
      protocol: "grpc",
    });
  }
}

function headerString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The response as a gRPC frame, its 5 header bytes left for the caller:
 * written straight from the handler's result by the compiled encoder
 * (encode-output.ts), or by the library for a built message (which may carry
 * unknown fields) and a type that encoder does not handle.
 */
function encodeFrame(desc: DescMessage, output: unknown): Buffer {
  const built = isMessage(output, desc);
  const fast = built ? undefined : outputEncoder(desc);
  if (fast !== undefined) return fast(output, frameHeaderBytes);
  const bytes = toBinary(desc, built ? output : create(desc, output as never));
  const frame = Buffer.allocUnsafe(frameHeaderBytes + bytes.length);
  frame.set(bytes, frameHeaderBytes);
  return frame;
}
