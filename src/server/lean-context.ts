import type { IncomingHttpHeaders } from "node:http2";
import { performance } from "node:perf_hooks";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ContextValues, HandlerContext } from "@connectrpc/connect";

/**
 * A Connect HandlerContext for the gRPC fast path that builds its parts only
 * when a handler touches them. createHandlerContext() allocates three Headers,
 * two AbortControllers and their listeners per call, which measured as the
 * largest cost of a trivial call; most handlers read `values` and nothing
 * else. Behaviour matches createHandlerContext: the signal aborts at the
 * deadline, on shutdown, and when the call completes.
 */
export class LeanHandlerContext implements HandlerContext {
  readonly requestMethod = "POST";
  readonly protocolName = "grpc";
  private controller: AbortController | undefined;
  private shutdownListener: (() => void) | undefined;
  private reqHeader: Headers | undefined;
  private resHeader: Headers | undefined;
  private resTrailer: Headers | undefined;
  private finishedReason: unknown = undefined;
  private finished = false;

  constructor(
    readonly service: DescService,
    readonly method: DescMethod,
    readonly url: string,
    readonly values: ContextValues,
    private readonly headers: IncomingHttpHeaders,
    /** performance.now() at which the call's deadline passes. */
    private readonly deadlineAt: number,
    private readonly shutdownSignal: AbortSignal,
  ) {}

  readonly timeoutMs = (): number => this.deadlineAt - performance.now();

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.finished) {
        controller.abort(this.finishedReason);
      } else if (this.shutdownSignal.aborted) {
        controller.abort(this.shutdownSignal.reason);
      } else {
        this.shutdownListener = () => controller.abort(this.shutdownSignal.reason);
        this.shutdownSignal.addEventListener("abort", this.shutdownListener, { once: true });
      }
    }
    return this.controller.signal;
  }

  get requestHeader(): Headers {
    this.reqHeader ??= toHeaders(this.headers);
    return this.reqHeader;
  }

  get responseHeader(): Headers {
    this.resHeader ??= new Headers();
    return this.resHeader;
  }

  get responseTrailer(): Headers {
    this.resTrailer ??= new Headers();
    return this.resTrailer;
  }

  /** Response headers the handler set, if it touched them. */
  get responseHeaderIfAny(): Headers | undefined {
    return this.resHeader;
  }

  /** Response trailers the handler set, if it touched them. */
  get responseTrailerIfAny(): Headers | undefined {
    return this.resTrailer;
  }

  /** Whether the handler's signal has fired (deadline or shutdown), and why. */
  get abortedReason(): { reason: unknown } | undefined {
    if (this.shutdownSignal.aborted) return { reason: this.shutdownSignal.reason };
    if (this.controller?.signal.aborted === true) return { reason: this.controller.signal.reason };
    return undefined;
  }

  /** Ends the call: aborts the signal (if anyone holds it) so downstream work stops. */
  abort(reason?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.finishedReason = reason;
    if (this.shutdownListener !== undefined) this.shutdownSignal.removeEventListener("abort", this.shutdownListener);
    this.controller?.abort(reason);
  }
}

function toHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const key in headers) {
    if (key.charCodeAt(0) === 58 /* ":" pseudo-header */) continue;
    const value = headers[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.append(key, v);
    else out.append(key, value);
  }
  return out;
}
