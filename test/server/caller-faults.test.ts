import { execFile } from "node:child_process";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ListFactorsRequestSchema } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { keepAlive } from "../../src/server/http-servers.js";
import { sendHttp1, Http2Sender, type RawAnswer, type RawRequest } from "../fuzz/raw-clients.js";
import { serviceKey, startFixtureServer, type FixtureServer } from "./fixture.js";
import { realClockEnv } from "../../bench/real-clock.js";

/**
 * What a caller can get wrong at the transport, answered in our words with
 * the right code on every path (issue: hardening, point 6 and 3): compression,
 * framing, deadlines, the authorization header, unknown methods, broken
 * HTTP/1.1 bodies; and HTTP/2 keep-alive.
 */

const path = "/twofold.v1.EnrolmentService/ListFactors";
const run = promisify(execFile);

let fx: FixtureServer;
let h2: Http2Sender;
beforeAll(async () => {
  fx = await startFixtureServer();
  h2 = new Http2Sender(fx.server.url);
});
afterAll(async () => {
  h2?.close();
  await fx?.server.close();
});

const json = Buffer.from(JSON.stringify({ userId: "alice" }));
const binary = toBinary(ListFactorsRequestSchema, create(ListFactorsRequestSchema, { userId: "alice" }));

function frame(data: Uint8Array, flags = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(data.byteLength, 1);
  return Buffer.concat([head, data]);
}

function h1(req: Omit<RawRequest, "path"> & { path?: string }): Promise<RawAnswer> {
  return sendHttp1(fx.server.host, fx.server.port, { path, ...req }).then((a) => {
    if (a === "hang") throw new Error("no answer");
    return a;
  });
}

async function h2call(req: Omit<RawRequest, "path"> & { path?: string }): Promise<RawAnswer> {
  const a = await h2.send({ path, ...req });
  if (typeof a === "string") throw new Error(a);
  return a;
}

/** The Connect error of an HTTP answer, or code 0 for a 200. */
function connectOutcome(a: RawAnswer): { code: string; message: string } {
  if (a.status === 200) return { code: "ok", message: "" };
  return JSON.parse(a.body.toString("utf8")) as { code: string; message: string };
}

/** grpc-status and grpc-message, from headers, trailers or a gRPC-Web trailer frame. */
function grpcOutcome(a: RawAnswer): { status: number; message: string } {
  const all: Record<string, string> = { ...a.headers, ...a.trailers };
  for (let at = 0; at + 5 <= a.body.byteLength; at += 5 + a.body.readUInt32BE(at + 1)) {
    if (((a.body[at] as number) & 0x80) === 0) continue;
    const text = a.body.subarray(at + 5, at + 5 + a.body.readUInt32BE(at + 1)).toString("latin1");
    for (const line of text.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) all[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  return { status: Number(all["grpc-status"] ?? "-1"), message: decodeURIComponent(all["grpc-message"] ?? "") };
}

const authed = { authorization: `Bearer ${serviceKey}` };

describe("compressed requests", () => {
  it("serves a gzip and a brotli Connect body", async () => {
    const gz = await h1({ headers: { ...authed, "content-type": "application/json", "content-encoding": "gzip" }, body: gzipSync(json) });
    const br = await h2call({ headers: { ...authed, "content-type": "application/proto", "content-encoding": "br" }, body: brotliCompressSync(binary) });
    expect([gz.status, br.status]).toEqual([200, 200]);
    expect(JSON.parse(gz.body.toString("utf8"))).toMatchObject({ factors: [{ id: "acme:alice" }] });
  });

  it.each([
    ["a truncated gzip body", "gzip", gzipSync(json).subarray(0, 12)],
    ["a gzip body cut before its checksum", "gzip", gzipSync(json).subarray(0, gzipSync(json).byteLength - 4)],
    ["garbage declared as brotli", "br", Buffer.from("not brotli at all")],
    ["a truncated brotli body", "br", brotliCompressSync(json).subarray(0, 3)],
  ])("answers %s with invalid_argument in its own words, on Connect over HTTP/1.1 and HTTP/2", async (_name, encoding, body) => {
    for (const answer of [
      await h1({ headers: { ...authed, "content-type": "application/json", "content-encoding": encoding }, body }),
      await h2call({ headers: { ...authed, "content-type": "application/json", "content-encoding": encoding }, body }),
    ]) {
      expect(answer.status).toBe(400);
      expect(connectOutcome(answer)).toEqual({ code: "invalid_argument", message: `request message is not valid ${encoding} data` });
    }
  });

  it("answers an unknown compression with unimplemented, naming what it accepts and not echoing the header", async () => {
    const a = await h1({ headers: { ...authed, "content-type": "application/json", "content-encoding": "x-evil<script>" }, body: json });
    expect(connectOutcome(a).code).toBe("unimplemented");
    expect(connectOutcome(a).message).not.toContain("evil");
    expect(a.headers["accept-encoding"]).toBe("gzip,br");
  });

  it.each([
    ["gRPC-Web over HTTP/1.1", "1.1", "application/grpc-web+proto", binary],
    ["gRPC-Web over HTTP/2", "2", "application/grpc-web", binary],
    ["grpc+json over HTTP/2", "2", "application/grpc+json", json],
  ])("refuses a compressed frame without a grpc-encoding on %s with INVALID_ARGUMENT", async (_name, http, type, message) => {
    const req = { headers: { ...authed, "content-type": type, te: "trailers" }, body: frame(gzipSync(message), 1) };
    const out = grpcOutcome(http === "1.1" ? await h1(req) : await h2call(req));
    expect(out).toEqual({ status: Code.InvalidArgument, message: "compressed message without a grpc-encoding" });
  });

  it("reads a gzip frame on gRPC-Web", async () => {
    const a = await h1({ headers: { ...authed, "content-type": "application/grpc-web+proto", "grpc-encoding": "gzip" }, body: frame(gzipSync(binary), 1) });
    expect(grpcOutcome(a).status).toBe(0);
  });
});

describe("framing", () => {
  const bodies = {
    "no message": () => Buffer.alloc(0),
    "two messages": (m: Uint8Array) => Buffer.concat([frame(m), frame(m)]),
    "a frame longer than the body": (m: Uint8Array) => frame(m).subarray(0, 6),
  };
  it.each(Object.keys(bodies) as (keyof typeof bodies)[])("answers %s on gRPC-Web and grpc+json with INVALID_ARGUMENT, as the gRPC fast path does", async (kind) => {
    const body = bodies[kind];
    const web = grpcOutcome(await h1({ headers: { ...authed, "content-type": "application/grpc-web+proto" }, body: body(binary) }));
    const grpcJson = grpcOutcome(await h2call({ headers: { ...authed, "content-type": "application/grpc+json", te: "trailers" }, body: body(json) }));
    const fast = grpcOutcome(await h2call({ headers: { ...authed, "content-type": "application/grpc", te: "trailers" }, body: body(binary) }));
    for (const out of [web, grpcJson, fast]) expect(out).toEqual({ status: Code.InvalidArgument, message: "a unary request must carry exactly one length-prefixed message" });
  });

  it("answers an unknown gRPC method with grpc-status 12 in a trailers-only response", async () => {
    const a = await h2call({ path: "/twofold.v1.NoSuchService/Method", headers: { ...authed, "content-type": "application/grpc", te: "trailers" }, body: frame(binary) });
    expect(a.status).toBe(200);
    expect(a.headers["grpc-status"]).toBe(String(Code.Unimplemented));
  });

  it("answers an empty Connect JSON body in its own words", async () => {
    const a = await h1({ headers: { ...authed, "content-type": "application/json" }, body: Buffer.alloc(0) });
    expect(connectOutcome(a).code).toBe("invalid_argument");
    expect(connectOutcome(a).message).not.toMatch(/JSON|Unexpected/);
  });
});

describe("deadlines sent by the caller", () => {
  it.each(["1000, abc", "abc", "-5", "99999999999"])("refuses connect-timeout-ms %j without echoing it", async (value) => {
    const a = await h1({ headers: { ...authed, "content-type": "application/json", "connect-timeout-ms": value }, body: json });
    expect(connectOutcome(a)).toEqual({ code: "invalid_argument", message: "malformed connect-timeout-ms" });
  });

  it("caps a huge but well-formed grpc-timeout on gRPC-Web instead of refusing it", async () => {
    const a = await h1({ headers: { ...authed, "content-type": "application/grpc-web+proto", "grpc-timeout": "99999999H" }, body: frame(binary) });
    expect(grpcOutcome(a).status).toBe(0);
  });

  it("answers an HTTP/1.1 body shorter than its Content-Length at the caller's deadline, not the server's request timeout", async () => {
    const a = await h1({ headers: { ...authed, "content-type": "application/json", "connect-timeout-ms": "300" }, body: json, declaredLength: json.byteLength + 10 });
    expect(connectOutcome(a).code).toBe("deadline_exceeded");
    expect(a.durationMs).toBeGreaterThanOrEqual(290);
    expect(a.durationMs).toBeLessThan(2000);
  });
});

describe("the authorization header", () => {
  it("refuses two authorization headers on HTTP/1.1, whichever comes first", async () => {
    for (const pair of [[`Bearer ${serviceKey}`, "Bearer nope"], ["Bearer nope", `Bearer ${serviceKey}`], [`Bearer ${serviceKey}`, `Bearer ${serviceKey}`]]) {
      const a = await h1({ headers: { "content-type": "application/json", authorization: pair }, body: json });
      expect(connectOutcome(a)).toEqual({ code: "unauthenticated", message: "missing or invalid API key" });
    }
  });

  it("refuses two authorization headers on HTTP/2, on the gRPC fast path and on connect-node", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tf-auth-"));
    try {
      writeFileSync(join(dir, "json"), json);
      writeFileSync(join(dir, "grpc"), frame(binary));
      const twice = ["-H", `authorization: Bearer ${serviceKey}`, "-H", "authorization: Bearer nope"];
      const viaConnect = await run("nghttp", [...twice, "-H", "content-type: application/json", "-d", join(dir, "json"), `${fx.server.url}${path}`], { env: realClockEnv() });
      expect(JSON.parse(viaConnect.stdout)).toEqual({ code: "unauthenticated", message: "missing or invalid API key" });
      const viaGrpc = await run("nghttp", ["-v", ...twice, "-H", "content-type: application/grpc", "-H", "te: trailers", "-d", join(dir, "grpc"), `${fx.server.url}${path}`], { env: realClockEnv() });
      expect(viaGrpc.stdout).toMatch(/grpc-status: 16\b/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([`bearer ${serviceKey}`, `Bearer  ${serviceKey}`, `BEARER ${serviceKey}`, `Bearer${serviceKey}`, `Bearer ${serviceKey} x`, `Basic ${serviceKey}`])(
    "gives %j the same answer on HTTP/1.1, HTTP/2 through connect-node and the gRPC fast path",
    async (value) => {
      const viaH1 = connectOutcome(await h1({ headers: { "content-type": "application/json", authorization: value }, body: json })).code;
      const viaH2 = connectOutcome(await h2call({ headers: { "content-type": "application/json", authorization: value }, body: json })).code;
      const fast = grpcOutcome(await h2call({ headers: { "content-type": "application/grpc", te: "trailers", authorization: value }, body: frame(binary) })).status;
      expect(viaH2).toBe(viaH1);
      expect(fast === 0 ? "ok" : fast === Code.Unauthenticated ? "unauthenticated" : String(fast)).toBe(viaH1);
    },
  );

  it("parses a value with surrounding whitespace as HTTP/1.1 delivers it, stripped (RFC 9110 §5.5)", async () => {
    // HTTP/2 never delivers such a field: nghttp2 drops it as malformed (RFC 9113 §8.2.1), so there it is missing.
    const a = await h1({ headers: { "content-type": "application/json", authorization: `Bearer ${serviceKey} \t` }, body: json });
    expect(a.status).toBe(200);
  });
});

describe("broken HTTP/1.1", () => {
  it("answers a malformed chunked body with 400 and logs nothing at error level", async () => {
    const before = fx.logs.length;
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(fx.server.port, fx.server.host);
      let out = "";
      socket.on("data", (d: Buffer) => (out += d.toString("latin1")));
      socket.on("error", () => undefined);
      socket.on("close", () => resolve(out));
      socket.on("connect", () =>
        socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${serviceKey}\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`),
      );
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(fx.logs.slice(before).filter((l) => (l["level"] as number) >= 50)).toEqual([]);
  });

  it("answers an HTTP/1.0 request without a Host header with 400 and keeps serving", async () => {
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(fx.server.port, fx.server.host);
      let out = "";
      socket.on("data", (d: Buffer) => (out += d.toString("latin1")));
      socket.on("error", () => undefined);
      socket.on("close", () => resolve(out));
      socket.on("connect", () => socket.write(`POST ${path} HTTP/1.0\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}`));
    });
    expect(raw).toMatch(/^HTTP\/1\.[01] 400 /);
    const after = await h1({ headers: { ...authed, "content-type": "application/json" }, body: json });
    expect(after.status).toBe(200);
  });
});

describe("HTTP/2 keep-alive", () => {
  it("drops a peer that stops answering PINGs, and keeps one that answers", async () => {
    const server = http2.createServer();
    server.on("session", (s) => keepAlive(s, 100, 300));
    server.on("stream", (stream) => stream.respond({ ":status": 200 }));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      // A peer that speaks the preface and SETTINGS, then goes silent (RFC 9113 §3.4, §6.5).
      const silent = await new Promise<{ closedAfterMs: number; sawPing: boolean }>((resolve) => {
        const started = Date.now();
        const socket = connect(port, "127.0.0.1");
        let received = Buffer.alloc(0);
        socket.on("data", (d: Buffer) => (received = Buffer.concat([received, d])));
        socket.on("error", () => undefined);
        socket.on("close", () => {
          // Walk the frames: 3-byte length, 1-byte type (0x6 = PING).
          let sawPing = false;
          for (let at = 0; at + 9 <= received.byteLength; at += 9 + received.readUIntBE(at, 3)) if (received[at + 3] === 0x6) sawPing = true;
          resolve({ closedAfterMs: Date.now() - started, sawPing });
        });
        socket.on("connect", () => socket.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1"), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])])));
      });
      expect(silent.sawPing).toBe(true);
      expect(silent.closedAfterMs).toBeLessThan(3000);

      const live = http2.connect(`http://127.0.0.1:${port}`);
      await new Promise((r) => setTimeout(r, 1000));
      expect(live.destroyed || live.closed).toBe(false);
      live.close();
    } finally {
      server.close();
    }
  });
});
