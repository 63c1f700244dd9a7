import * as http2 from "node:http2";
import { Code } from "@connectrpc/connect";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { undecodable } from "../../src/server/undecodable.js";
import { createGrpcClient } from "../support/grpc-client.js";
import { serviceKey, startFixtureServer, type FixtureServer } from "./fixture.js";
import { BadRequestSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../src/gen/google/rpc/status_pb.js";
import { EnrolRequestSchema, EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";

const path = "/twofold.v1.EnrolmentService/ListFactors";
const undecodableMessage = undecodable(pino({ level: "silent" })).rawMessage;

let fx: FixtureServer;
beforeAll(async () => {
  fx = await startFixtureServer({ maxMessageBytes: 1024 });
});
afterAll(async () => {
  await fx.server.close();
});

function frame(message: Uint8Array, flag = 0): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = flag;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** A ListFactorsRequest whose user_id (field 1) holds the given raw bytes. */
function userIdBytes(bytes: number[]): Uint8Array {
  return Uint8Array.from([0x0a, bytes.length, ...bytes]);
}

/** Encodes a message, then replaces the "o" of its one "bob" with 0xff, a byte no UTF-8 text contains. */
function withInvalidUtf8(wire: Uint8Array): Uint8Array {
  const at = Buffer.from(wire).indexOf("bob");
  if (at < 0) throw new Error("no bob to corrupt");
  const out = Uint8Array.from(wire);
  out[at + 1] = 0xff;
  return out;
}

/** The fields a google.rpc.Status in grpc-status-details-bin names in its BadRequest. */
function badRequestFields(all: http2.IncomingHttpHeaders): string[] {
  const bin = all["grpc-status-details-bin"];
  if (typeof bin !== "string") return [];
  const status = fromBinary(StatusSchema, Buffer.from(bin, "base64"));
  return status.details.flatMap((d) => anyUnpack(d, BadRequestSchema)?.fieldViolations.map((v) => v.field) ?? []);
}

interface RawAnswer {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  status: string | undefined;
  message: string | undefined;
}

/** One gRPC call written by hand on node:http2, to send what no client library would. */
async function rawGrpc(body: Buffer, extra: http2.OutgoingHttpHeaders = {}): Promise<RawAnswer> {
  const session = http2.connect(fx.server.url);
  try {
    return await new Promise<RawAnswer>((resolve, reject) => {
      const req = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
        authorization: `Bearer ${serviceKey}`,
        ...extra,
      });
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      req.on("response", (h) => (headers = h));
      req.on("trailers", (t) => (trailers = t));
      req.on("data", () => undefined);
      req.on("end", () => {
        const all = { ...headers, ...trailers };
        const message = all["grpc-message"];
        resolve({
          headers,
          trailers,
          status: all["grpc-status"] as string | undefined,
          message: typeof message === "string" ? decodeURIComponent(message) : undefined,
        });
      });
      req.on("error", reject);
      req.end(body);
    });
  } finally {
    session.close();
  }
}

describe("the gRPC fast path", () => {
  it("answers INVALID_ARGUMENT in its own words for bytes that are not a protobuf message", async () => {
    const out = await rawGrpc(frame(Uint8Array.from([0x0a, 0x7f, 0x01])));
    expect(out.status).toBe(String(Code.InvalidArgument));
    expect(out.message).toBe(undecodableMessage);
  });

  it("answers invalid UTF-8 in a string field with a BadRequest naming that field", async () => {
    const out = await rawGrpc(frame(userIdBytes([0xc3, 0x28])));
    expect(out.status).toBe(String(Code.InvalidArgument));
    expect(out.message).toBe("invalid user_id");
    expect(badRequestFields({ ...out.headers, ...out.trailers })).toEqual(["user_id"]);
  });

  it("names a nested string field with invalid UTF-8 by its dotted path", async () => {
    const wire = toBinary(EnrolRequestSchema, create(EnrolRequestSchema, { userId: "u1", label: "phone", spec: { case: "totp", value: { issuer: "bob" } } }));
    const session = http2.connect(fx.server.url);
    const all = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      const req = session.request({
        ":method": "POST",
        ":path": "/twofold.v1.EnrolmentService/Enrol",
        "content-type": "application/grpc",
        authorization: `Bearer ${serviceKey}`,
      });
      let h: http2.IncomingHttpHeaders = {};
      req.on("response", (x) => (h = { ...h, ...x }));
      req.on("trailers", (x) => (h = { ...h, ...x }));
      req.on("data", () => undefined);
      req.on("end", () => resolve(h));
      req.on("error", reject);
      req.end(frame(withInvalidUtf8(wire)));
    });
    session.close();
    expect(all["grpc-status"]).toBe(String(Code.InvalidArgument));
    expect(badRequestFields(all)).toEqual(["totp.issuer"]);
  });

  it("answers UNIMPLEMENTED with grpc-accept-encoding for a compression it does not speak", async () => {
    const out = await rawGrpc(frame(userIdBytes([0x61]), 1), { "grpc-encoding": "gzip" });
    expect(out.status).toBe(String(Code.Unimplemented));
    expect(out.headers["grpc-accept-encoding"]).toBe("identity");
  });

  it("refuses a compressed frame sent without a grpc-encoding", async () => {
    const out = await rawGrpc(frame(userIdBytes([0x61]), 1));
    expect(out.status).toBe(String(Code.InvalidArgument));
  });

  it("refuses a malformed grpc-timeout", async () => {
    const out = await rawGrpc(frame(userIdBytes([0x61])), { "grpc-timeout": "soon" });
    expect(out.status).toBe(String(Code.InvalidArgument));
  });

  it("refuses a unary request carrying two messages", async () => {
    const one = frame(userIdBytes([0x61]));
    const out = await rawGrpc(Buffer.concat([one, one]));
    expect(out.status).toBe(String(Code.InvalidArgument));
  });

  it("refuses a frame declaring more than maxMessageBytes before reading it", async () => {
    const header = Buffer.from([0, 0, 0x10, 0, 0]); // declares 1 MiB
    const out = await rawGrpc(Buffer.concat([header, Buffer.alloc(2000)]));
    expect(out.status).toBe(String(Code.ResourceExhausted));
  });

  it("authenticates before it decodes, so a caller without a key learns nothing about the body", async () => {
    const out = await rawGrpc(frame(Uint8Array.from([0xff])), { authorization: "Bearer nope" });
    expect(out.status).toBe(String(Code.Unauthenticated));
  });

  it("gives a malformed authorization header the same answer as a missing or unknown key", async () => {
    const malformed = await rawGrpc(frame(userIdBytes([0x61])), { authorization: "Basic dXNlcjpwYXNz" });
    const missing = await rawGrpc(frame(userIdBytes([0x61])), { authorization: "" });
    const unknown = await rawGrpc(frame(userIdBytes([0x61])), { authorization: "Bearer tf_unknown" });
    for (const out of [malformed, missing, unknown]) {
      expect(out.status).toBe(String(Code.Unauthenticated));
      expect(out.message).toBe("missing or invalid API key");
    }
  });

  it("answers UNIMPLEMENTED for a method no service declares", async () => {
    const client = new grpc.Client(`${fx.server.host}:${fx.server.port}`, grpc.credentials.createInsecure());
    const err = await new Promise<grpc.ServiceError | null>((resolve) => {
      const md = new grpc.Metadata();
      md.set("authorization", `Bearer ${serviceKey}`);
      client.makeUnaryRequest("/twofold.v1.EnrolmentService/NoSuchMethod", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), md, (e) => resolve(e));
    });
    client.close();
    expect(err?.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it("still serves a well-formed call after all of the above", async () => {
    const client = createGrpcClient(EnrolmentService, `${fx.server.host}:${fx.server.port}`);
    const res = await client.unary("listFactors", { userId: "after" }, { apiKey: serviceKey });
    client.close();
    expect(res.factors[0]?.id).toBe("acme:after");
  });
});

describe("the Connect and gRPC-Web path", () => {
  const post = (contentType: string, body: Uint8Array | string, apiKey = serviceKey) =>
    fetch(`${fx.server.url}${path}`, {
      method: "POST",
      headers: { "content-type": contentType, authorization: `Bearer ${apiKey}` },
      body,
    });

  it("answers a Connect binary body that is not protobuf with invalid_argument in its own words", async () => {
    const res = await post("application/proto", Uint8Array.from([0x0a, 0x7f, 0x01]));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: "invalid_argument", message: undecodableMessage });
  });

  it("answers a Connect JSON body with a field of the wrong type with invalid_argument in its own words", async () => {
    const res = await post("application/json", JSON.stringify({ userId: { nested: true } }));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: "invalid_argument", message: undecodableMessage });
  });

  it("answers a gRPC-Web body with invalid UTF-8 with INVALID_ARGUMENT", async () => {
    const res = await post("application/grpc-web+proto", frame(userIdBytes([0xc3, 0x28])));
    const text = Buffer.from(await res.arrayBuffer()).toString("latin1");
    expect(res.headers.get("grpc-status") ?? /grpc-status: ?(\d+)/.exec(text)?.[1]).toBe(String(Code.InvalidArgument));
  });

  it("names the field holding invalid UTF-8 in a Connect binary body, as a validator would", async () => {
    const res = await post("application/proto", userIdBytes([0xc3, 0x28]));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string; details?: { type: string; value: string }[] };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toBe("invalid user_id");
    const detail = body.details?.find((d) => d.type === "google.rpc.BadRequest");
    const fields = detail === undefined ? [] : fromBinary(BadRequestSchema, Buffer.from(detail.value, "base64")).fieldViolations.map((v) => v.field);
    expect(fields).toEqual(["user_id"]);
  });

  it("authenticates before it decodes on Connect too", async () => {
    const res = await post("application/proto", Uint8Array.from([0xff]), "nope");
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "unauthenticated" });
  });
});
