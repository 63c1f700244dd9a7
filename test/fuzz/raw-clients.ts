import * as http2 from "node:http2";
import { connect } from "node:net";
import { performance } from "node:perf_hooks";

/** One request as the fuzzer sends it: any header values, any body bytes. */
export interface RawRequest {
  path: string;
  /** Header name (lower case) to one value, or several to send it repeatedly. */
  headers: Record<string, string | string[]>;
  body: Uint8Array;
  /** HTTP/1.1 only: a Content-Length to declare instead of the body's real length. */
  declaredLength?: number;
}

/** What came back, whatever the protocol. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  trailers: Record<string, string>;
  durationMs: number;
}

/** Gives up on a server that does not answer: that is a finding (a hang), reported by the caller. */
const clientTimeoutMs = 15_000;

/**
 * A request over HTTP/1.1 written byte by byte on a fresh TCP connection
 * (`Connection: close`), so the fuzzer can send what no HTTP client library
 * would: a body shorter than its Content-Length, repeated headers, any
 * value. The response is read to the connection's end.
 */
export function sendHttp1(host: string, port: number, req: RawRequest): Promise<RawAnswer | "hang"> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("hang");
    }, clientTimeoutMs);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => undefined); // a reset after the answer is fine; no answer shows below
    socket.on("close", () => {
      clearTimeout(timer);
      try {
        resolve({ ...parseHttp1(Buffer.concat(chunks)), durationMs: performance.now() - started });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.on("connect", () => {
      const lines = [`POST ${req.path} HTTP/1.1`, `host: ${host}:${port}`, "connection: close"];
      for (const [name, value] of Object.entries(req.headers)) for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
      lines.push(`content-length: ${req.declaredLength ?? req.body.byteLength}`);
      socket.write(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), req.body]));
    });
  });
}

function parseHttp1(raw: Buffer): Omit<RawAnswer, "durationMs"> {
  const headEnd = raw.indexOf("\r\n\r\n");
  if (headEnd < 0) throw new Error(`no HTTP/1.1 response (${raw.byteLength} bytes: ${JSON.stringify(raw.subarray(0, 80).toString("latin1"))})`);
  const [statusLine = "", ...headerLines] = raw.subarray(0, headEnd).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? "0");
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const at = line.indexOf(":");
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  let body = raw.subarray(headEnd + 4);
  if (headers["transfer-encoding"]?.toLowerCase() === "chunked") body = dechunk(body);
  return { status, headers, body: Buffer.from(body), trailers: {} };
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** An HTTP/2 connection that sends fuzzed requests as streams, reconnecting when the server drops it. */
export class Http2Sender {
  private session: http2.ClientHttp2Session | undefined;

  constructor(private readonly url: string) {}

  private live(): http2.ClientHttp2Session {
    if (this.session === undefined || this.session.destroyed || this.session.closed) {
      const session = http2.connect(this.url);
      session.on("error", () => undefined);
      this.session = session;
    }
    return this.session;
  }

  /** "unsendable": node's client itself refused the headers (not the server's doing). */
  send(req: RawRequest): Promise<RawAnswer | "hang" | "unsendable"> {
    const started = performance.now();
    return new Promise((resolve) => {
      const headers: http2.OutgoingHttpHeaders = { ":method": "POST", ":path": req.path };
      for (const [name, value] of Object.entries(req.headers)) {
        // node:http2 refuses to repeat a single-value header; the first is what a proxy would keep.
        headers[name] = Array.isArray(value) ? value[0] : value;
      }
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.live().request(headers);
      } catch {
        resolve("unsendable");
        return;
      }
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        resolve("hang");
      }, clientTimeoutMs);
      let status = 0;
      const out: Record<string, string> = {};
      const trailers: Record<string, string> = {};
      const chunks: Buffer[] = [];
      const flat = (h: http2.IncomingHttpHeaders, into: Record<string, string>): void => {
        for (const [k, v] of Object.entries(h)) if (v !== undefined) into[k] = Array.isArray(v) ? v.join(", ") : String(v);
      };
      stream.on("response", (h) => {
        status = Number(h[":status"] ?? 0);
        flat(h, out);
      });
      stream.on("trailers", (t) => flat(t, trailers));
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("error", () => undefined);
      stream.on("close", () => {
        clearTimeout(timer);
        resolve({ status, headers: out, body: Buffer.concat(chunks), trailers, durationMs: performance.now() - started });
      });
      stream.end(req.body);
    });
  }

  close(): void {
    this.session?.close();
  }
}
