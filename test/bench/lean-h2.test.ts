import { afterEach, describe, expect, it } from "vitest";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { HpackDecoder, HpackEncoder, HpackError, huffmanCode, huffmanDecode } from "../../bench/load/hpack.js";
import { H2StreamError, LeanH2Connection } from "../../bench/load/lean-h2.js";

/**
 * The load generator's own HTTP/2 client and its HPACK, against node:http2
 * (nghttp2) as the independent peer: nghttp2 encodes the answers with its
 * dynamic table and Huffman strings, enforces flow control and stream limits
 * on what we send, and resets, pings and closes when told.
 */

function huffmanEncode(text: string): Buffer {
  let bits = "";
  for (const ch of Buffer.from(text, "latin1")) {
    const [code, len] = huffmanCode(ch);
    bits += code.toString(2).padStart(len, "0");
  }
  bits += "1".repeat((8 - (bits.length % 8)) % 8);
  const out = Buffer.alloc(bits.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  return out;
}

describe("HPACK", () => {
  it("builds the canonical Huffman code of RFC 7541 Appendix B from its code lengths", () => {
    // Codes read off the RFC's table, spread over every length band.
    const table: Array<[number, number, number]> = [
      [0, 0x1ff8, 13],
      [1, 0x7fffd8, 23],
      [10, 0x3ffffffc, 30],
      [32, 0x14, 6],
      [48, 0x0, 5],
      [65, 0x21, 6],
      [122, 0x7b, 7],
      [127, 0xffffffc, 28],
      [128, 0xfffe6, 20],
      [192, 0x3ffffe0, 26],
      [200, 0x3ffffe2, 26],
      [254, 0x7fffff0, 27],
      [255, 0x3ffffee, 26],
      [256, 0x3fffffff, 30],
    ];
    for (const [sym, code, len] of table) expect(huffmanCode(sym), `symbol ${sym}`).toEqual([code, len]);
  });

  it("decodes the RFC 7541 C.4.1 example and every octet Huffman-coded", () => {
    const wire = Buffer.from("f1e3c2e5f23a6ba0ab90f4ff", "hex");
    expect(huffmanDecode(wire, 0, wire.length)).toBe("www.example.com");
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("latin1");
    const enc = huffmanEncode(every);
    expect(huffmanDecode(enc, 0, enc.length)).toBe(every);
  });

  it("refuses padding that is not the EOS prefix, or longer than 7 bits", () => {
    const enc = huffmanEncode("a"); // 00011 + 111 padding
    expect(() => huffmanDecode(Buffer.from([enc[0]! & 0xfe]), 0, 1)).toThrow(HpackError);
    expect(() => huffmanDecode(Buffer.from([0xff]), 0, 1)).toThrow(HpackError);
  });

  it("decodes what it encodes: fields enter the table once, then go as indices, until the table is full", () => {
    const fields: Array<[string, string]> = [
      [":method", "POST"],
      [":path", "/x.Y/Z"],
      ["authorization", "Bearer k"],
      ["te", "trailers"],
    ];
    const enc = new HpackEncoder();
    const dec = new HpackDecoder();
    const first = enc.encode(fields);
    expect(dec.decode(first)).toEqual(fields);
    const again = enc.encode(fields);
    expect(again).toHaveLength(4); // one index byte per field
    expect(dec.decode(again)).toEqual(fields);
    // Another path shifts the earlier entries' indices by one; both blocks still decode.
    const other: Array<[string, string]> = [[":path", "/x.Y/W"], ...fields.slice(2)];
    expect(dec.decode(enc.encode(other))).toEqual(other);
    expect(dec.decode(enc.encode(fields))).toEqual(fields);
    // A table with room for one entry: the rest go as literals every time, and decode the same.
    const small = new HpackEncoder(50);
    const smallDec = new HpackDecoder(50);
    for (let i = 0; i < 3; i++) expect(smallDec.decode(small.encode(fields))).toEqual(fields);
  });

  it("decodes a dynamic-table entry by its index, and evicts on a size update", () => {
    // Literal with incremental indexing of a new name, then the same field indexed (62 = newest).
    const d = new HpackDecoder();
    const first = Buffer.concat([Buffer.from([0x40, 0x02]), Buffer.from("ab"), Buffer.from([0x01]), Buffer.from("c")]);
    expect(d.decode(first)).toEqual([["ab", "c"]]);
    expect(d.decode(Buffer.from([0x80 | 62]))).toEqual([["ab", "c"]]);
    // A table size update to 0 evicts it.
    expect(() => d.decode(Buffer.from([0x20, 0x80 | 62]))).toThrow(HpackError);
  });
});

let server: http2.Http2Server | undefined;
let conn: LeanH2Connection | undefined;

afterEach(async () => {
  conn?.close();
  conn = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void, settings: http2.Settings = {}): Promise<number> {
  server = http2.createServer({ settings });
  server.on("stream", handler);
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

const block = (path: string): Array<[string, string]> => [
  [":method", "POST"],
  [":scheme", "http"],
  [":authority", "localhost"],
  [":path", path],
  ["x-same", "on every request"],
];

/** Echoes the body with its path in a header and a trailer, as gRPC answers: headers, data, trailers. */
function echo(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  stream.on("end", () => {
    stream.respond({ ":status": 200, "x-path": String(headers[":path"]) }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-len": String(Buffer.concat(chunks).length) }));
    stream.end(Buffer.concat(chunks));
  });
}

describe("lean HTTP/2 client against node:http2", () => {
  it("answers many concurrent requests within the server's stream limit and send window", async () => {
    const port = await serve(echo, { maxConcurrentStreams: 5 });
    conn = new LeanH2Connection("127.0.0.1", port);
    // 200 requests of 3 kB each: more than the 65,535-byte initial window and far more than 5 streams at once;
    // 200 paths overflow the server's 4,096-byte HPACK table, so later ones go as literals.
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => conn!.request(block(`/p/${i}`), Buffer.alloc(3000, i % 256))),
    );
    answers.forEach((a, i) => {
      expect(a.data.equals(Buffer.alloc(3000, i % 256)), `body of ${i}`).toBe(true);
      expect(a.fields).toContainEqual(["x-path", `/p/${i}`]);
      expect(a.fields).toContainEqual([":status", "200"]);
      expect(a.fields).toContainEqual(["grpc-status", "0"]);
      expect(a.fields).toContainEqual(["x-len", "3000"]);
    });
  });

  it("reassembles a large answer and a header block split over CONTINUATION frames", async () => {
    const big = "v".repeat(40_000);
    const body = Buffer.alloc(300_000, 7);
    const port = await serve((stream) => {
      stream.respond({ ":status": 200, "x-big": big });
      stream.end(body);
    });
    conn = new LeanH2Connection("127.0.0.1", port);
    const a = await conn.request(block("/big"), Buffer.alloc(0));
    expect(a.data.equals(body)).toBe(true);
    expect(a.fields).toContainEqual(["x-big", big]);
  });

  it("fails a reset stream with its code and keeps the connection", async () => {
    const port = await serve((stream, headers) => {
      if (headers[":path"] === "/reset") stream.close(http2.constants.NGHTTP2_CANCEL);
      else echo(stream, headers);
    });
    conn = new LeanH2Connection("127.0.0.1", port);
    const err = await conn.request(block("/reset"), Buffer.from("x")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(H2StreamError);
    expect((err as H2StreamError).code).toBe(http2.constants.NGHTTP2_CANCEL);
    const ok = await conn.request(block("/after"), Buffer.from("y"));
    expect(ok.fields).toContainEqual(["x-path", "/after"]);
  });

  it("answers the server's PING", async () => {
    let session: http2.ServerHttp2Session | undefined;
    const port = await serve(echo);
    server?.on("session", (s) => (session = s));
    conn = new LeanH2Connection("127.0.0.1", port);
    await conn.request(block("/ping"), Buffer.alloc(0));
    const acked = await new Promise<boolean>((resolve) => session?.ping((err) => resolve(err === null)));
    expect(acked).toBe(true);
  });

  it("fails pending requests when the server goes away, and refuses new ones", async () => {
    const port = await serve((_stream) => undefined);
    server?.on("session", (s) => setTimeout(() => s.destroy(), 50));
    conn = new LeanH2Connection("127.0.0.1", port);
    const err = await conn.request(block("/hang"), Buffer.alloc(0)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(H2StreamError);
    await expect(conn.request(block("/later"), Buffer.alloc(0))).rejects.toBeInstanceOf(H2StreamError);
  });
});
