/**
 * A client-side HTTP/2 connection (RFC 9113) for the load generator, cut to
 * what unary gRPC needs: a request is one HEADERS frame built once per
 * method and one DATA frame; the answer is collected until END_STREAM.
 *
 * Why not node:http2: the generator shares a 2-core box with the service and
 * Postgres, and what it spends per call comes out of what it measures. Its
 * node:http2 client (a Duplex stream, listeners and header objects per
 * request) was the generator's largest cost per call after protobuf; here a
 * request is two frame writes and an entry in a map.
 *
 * It keeps the protocol's rules that a conforming peer relies on: SETTINGS
 * acknowledged, PING answered, the peer's stream limit and connection send
 * window respected (requests wait in order), our receive window replenished,
 * RST_STREAM and GOAWAY failing the streams they name. It does not do TLS,
 * server push (disabled in our SETTINGS), priorities or trailers on requests.
 */
import * as net from "node:net";
import { HpackDecoder, HpackEncoder } from "./hpack.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;

const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

const SETTINGS_HEADER_TABLE_SIZE = 0x1;
const SETTINGS_ENABLE_PUSH = 0x2;
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;

/** Our receive windows: the largest allowed, so the small answers never wait for a WINDOW_UPDATE. */
const MAX_WINDOW = 2 ** 31 - 1;
const DEFAULT_WINDOW = 65_535;
/** Replenish the connection's receive window once this much has arrived. */
const REPLENISH_AT = 2 ** 30;
const LAST_STREAM_ID = 2 ** 31 - 1;

/** What came back on one stream: headers and trailers in arrival order, and the DATA. */
export interface H2Answer {
  fields: Array<[string, string]>;
  data: Buffer;
}

/** Why a stream ended without an answer. */
export class H2StreamError extends Error {
  constructor(
    message: string,
    /** The RST_STREAM or GOAWAY error code, or undefined for a lost connection. */
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

interface Stream {
  fields: Array<[string, string]>;
  chunks: Buffer[];
  resolve(answer: H2Answer): void;
  reject(err: Error): void;
}

/** A request's header fields; pass the same array for the same headers, so its encoded block is reused. */
export type H2Fields = ReadonlyArray<readonly [string, string]>;

interface Waiting {
  fields: H2Fields;
  body: Buffer;
  stream: Stream;
}

function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const h = Buffer.allocUnsafe(9);
  h.writeUIntBE(length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(streamId, 5);
  return h;
}

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(payload.length, type, flags, streamId), payload]);
}

export class LeanH2Connection {
  private readonly socket: net.Socket;
  private readonly decoder = new HpackDecoder();
  /** Made on the server's first SETTINGS, sized to the table it announces. */
  private encoder: HpackEncoder | undefined;
  private readonly streams = new Map<number, Stream>();
  private readonly waiting: Waiting[] = [];
  private nextId = 1;
  private peerMaxStreams = Number.POSITIVE_INFINITY;
  private sendWindow = DEFAULT_WINDOW;
  private received = 0;
  private input: Buffer = Buffer.alloc(0);
  /** A header block split over CONTINUATION frames, until END_HEADERS. */
  private partial: { id: number; endStream: boolean; parts: Buffer[] } | undefined;
  private closed: Error | undefined;
  /** Frames written in this turn of the event loop, sent together by `flush` (as nghttp2 in node batches). */
  private outgoing: Buffer[] = [];

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port, noDelay: true });
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(SETTINGS_ENABLE_PUSH, 0);
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(SETTINGS_INITIAL_WINDOW_SIZE, 6);
    settings.writeUInt32BE(MAX_WINDOW, 8);
    const windowUpdate = Buffer.allocUnsafe(4);
    windowUpdate.writeUInt32BE(MAX_WINDOW - DEFAULT_WINDOW, 0);
    this.send(PREFACE, frame(SETTINGS, 0, 0, settings), frame(WINDOW_UPDATE, 0, 0, windowUpdate));
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.socket.on("error", (err) => this.fail(new H2StreamError(`connection error: ${err.message}`, undefined)));
    this.socket.on("close", () => this.fail(new H2StreamError("connection closed", undefined)));
  }

  /** Sends one request (its header fields, then `body` with END_STREAM) and resolves with its answer. */
  request(fields: H2Fields, body: Buffer): Promise<H2Answer> {
    return new Promise((resolve, reject) => {
      if (this.closed !== undefined) return reject(this.closed);
      this.waiting.push({ fields, body, stream: { fields: [], chunks: [], resolve, reject } });
      this.startWaiting();
    });
  }

  close(): void {
    this.fail(new H2StreamError("connection closed by the client", undefined));
    this.socket.destroy();
  }

  /** Starts queued requests while the peer's stream limit and the send window allow, in order. */
  private startWaiting(): void {
    while (this.encoder !== undefined && this.waiting.length > 0) {
      const next = this.waiting[0] as Waiting;
      if (this.streams.size >= this.peerMaxStreams || next.body.length > this.sendWindow) return;
      if (this.nextId > LAST_STREAM_ID) return this.fail(new H2StreamError("stream ids used up", undefined));
      this.waiting.shift();
      const id = this.nextId;
      this.nextId += 2;
      this.streams.set(id, next.stream);
      this.sendWindow -= next.body.length;
      // Encoded here, in the order the blocks go out: the peer's table follows that order.
      const block = this.encoder.encode(next.fields);
      this.send(frameHeader(block.length, HEADERS, END_HEADERS, id), block, frameHeader(next.body.length, DATA, END_STREAM, id), next.body);
    }
  }

  /**
   * Queues bytes for the socket. Everything queued in one turn of the event
   * loop goes out in one write: requests started by the answers of one read
   * share a segment, so the server wakes once for them, not once each.
   */
  private send(...buffers: Buffer[]): void {
    if (this.outgoing.length === 0) setImmediate(this.flush);
    for (const b of buffers) this.outgoing.push(b);
  }

  private readonly flush = (): void => {
    const out = this.outgoing;
    this.outgoing = [];
    if (!this.socket.destroyed && out.length > 0) this.socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
  };

  private onData(chunk: Buffer): void {
    let buf = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    let pos = 0;
    try {
      while (buf.length - pos >= 9) {
        const length = buf.readUIntBE(pos, 3);
        if (buf.length - pos < 9 + length) break;
        const type = buf[pos + 3] as number;
        const flags = buf[pos + 4] as number;
        const id = buf.readUInt32BE(pos + 5) & LAST_STREAM_ID;
        const payload = buf.subarray(pos + 9, pos + 9 + length);
        pos += 9 + length;
        this.onFrame(type, flags, id, payload);
      }
    } catch (err) {
      this.fail(new H2StreamError(`protocol error: ${(err as Error).message}`, undefined));
      this.socket.destroy();
      return;
    }
    buf = buf.subarray(pos);
    // Keep a partial frame; copy it so the chunk it came in can be freed.
    this.input = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    if (this.partial !== undefined && type !== CONTINUATION) throw new Error("expected CONTINUATION");
    switch (type) {
      case DATA: {
        this.received += payload.length;
        if (this.received >= REPLENISH_AT) {
          const inc = Buffer.allocUnsafe(4);
          inc.writeUInt32BE(this.received, 0);
          this.send(frame(WINDOW_UPDATE, 0, 0, inc));
          this.received = 0;
        }
        const stream = this.streams.get(id);
        if (stream !== undefined) stream.chunks.push(Buffer.from(unpad(flags, payload)));
        if (flags & END_STREAM) this.finish(id);
        return;
      }
      case HEADERS: {
        let block = unpad(flags, payload);
        if (flags & PRIORITY) block = block.subarray(5);
        const endStream = (flags & END_STREAM) !== 0;
        if (flags & END_HEADERS) this.onHeaderBlock(id, endStream, block);
        else this.partial = { id, endStream, parts: [Buffer.from(block)] };
        return;
      }
      case CONTINUATION: {
        const partial = this.partial;
        if (partial === undefined || partial.id !== id) throw new Error("unexpected CONTINUATION");
        partial.parts.push(Buffer.from(payload));
        if (flags & END_HEADERS) {
          this.partial = undefined;
          this.onHeaderBlock(id, partial.endStream, Buffer.concat(partial.parts));
        }
        return;
      }
      case RST_STREAM: {
        const stream = this.streams.get(id);
        if (stream === undefined) return;
        this.streams.delete(id);
        stream.reject(new H2StreamError(`stream reset (${payload.readUInt32BE(0)})`, payload.readUInt32BE(0)));
        this.startWaiting();
        return;
      }
      case SETTINGS: {
        if (flags & ACK) return;
        let tableSize = this.encoder?.maxSize ?? 4096;
        for (let p = 0; p + 6 <= payload.length; p += 6) {
          const key = payload.readUInt16BE(p);
          const value = payload.readUInt32BE(p + 2);
          if (key === SETTINGS_MAX_CONCURRENT_STREAMS) this.peerMaxStreams = value;
          if (key === SETTINGS_HEADER_TABLE_SIZE) tableSize = value;
        }
        // No stream starts before the first SETTINGS: the peer's stream limit and table size may be below the defaults.
        if (this.encoder === undefined) this.encoder = new HpackEncoder(Math.min(tableSize, 4096));
        else if (tableSize < this.encoder.maxSize) throw new Error("the peer shrank its HPACK table");
        this.send(frame(SETTINGS, ACK, 0, Buffer.alloc(0)));
        this.startWaiting();
        return;
      }
      case PING: {
        if (!(flags & ACK)) this.send(frame(PING, ACK, 0, Buffer.from(payload)));
        return;
      }
      case GOAWAY: {
        const last = payload.readUInt32BE(0) & LAST_STREAM_ID;
        const code = payload.readUInt32BE(4);
        const err = new H2StreamError(`GOAWAY (${code})`, code);
        for (const [sid, stream] of this.streams) {
          if (sid > last) {
            this.streams.delete(sid);
            stream.reject(err);
          }
        }
        // No new stream may start on this connection.
        this.nextId = LAST_STREAM_ID + 2;
        for (const w of this.waiting.splice(0)) w.stream.reject(err);
        return;
      }
      case WINDOW_UPDATE: {
        if (id === 0) {
          this.sendWindow += payload.readUInt32BE(0) & LAST_STREAM_ID;
          this.startWaiting();
        }
        return;
      }
      default:
        // PRIORITY and unknown frame types are ignored (RFC 9113 §4.1, §5.5).
        return;
    }
  }

  private onHeaderBlock(id: number, endStream: boolean, block: Buffer): void {
    // Decode even for an unknown stream: the dynamic table must see every block.
    const fields = this.decoder.decode(block);
    const stream = this.streams.get(id);
    if (stream !== undefined) for (const f of fields) stream.fields.push(f);
    if (endStream) this.finish(id);
  }

  private finish(id: number): void {
    const stream = this.streams.get(id);
    if (stream === undefined) return;
    this.streams.delete(id);
    const data = stream.chunks.length === 1 ? (stream.chunks[0] as Buffer) : Buffer.concat(stream.chunks);
    stream.resolve({ fields: stream.fields, data });
    this.startWaiting();
  }

  private fail(err: Error): void {
    if (this.closed !== undefined) return;
    this.closed = err;
    for (const stream of this.streams.values()) stream.reject(err);
    this.streams.clear();
    for (const w of this.waiting.splice(0)) w.stream.reject(err);
  }
}

/** A frame's payload without its padding (RFC 9113 §6.1). */
function unpad(flags: number, payload: Buffer): Buffer {
  if (!(flags & PADDED)) return payload;
  const pad = payload[0] as number;
  if (pad >= payload.length) throw new Error("padding exceeds the frame");
  return payload.subarray(1, payload.length - pad);
}
