import { brotliCompressSync, gzipSync } from "node:zlib";
import type { DescMethodUnary, DescService } from "@bufbuild/protobuf";
import fc from "fast-check";
import { Health } from "../../src/gen/grpc/health/v1/health_pb.js";
import { AdminService } from "../../src/gen/twofold/v1/admin_pb.js";
import { AppPasswordService } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { BackupCodeService } from "../../src/gen/twofold/v1/backup_codes_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { encode, messageInit, mutate, mutation } from "./messages.js";
import type { RawRequest } from "./raw-clients.js";

/** Every unary RPC the service answers: the 22 of twofold.v1 and health's Check. */
export const METHODS: { service: DescService; method: DescMethodUnary }[] = [EnrolmentService, AuthenticationService, BackupCodeService, AppPasswordService, AdminService, Health].flatMap((service) =>
  service.methods.filter((m): m is DescMethodUnary => m.methodKind === "unary").map((method) => ({ service, method })),
);

/** A protocol variant as a client speaks it: wire format, codec and HTTP version. */
export interface Wire {
  name: string;
  http: "1.1" | "2";
  family: "grpc" | "grpc-web" | "connect";
  json: boolean;
  contentType: string;
}

export const WIRES: readonly Wire[] = [
  { name: "gRPC (HTTP/2)", http: "2", family: "grpc", json: false, contentType: "application/grpc" },
  { name: "gRPC+json (HTTP/2)", http: "2", family: "grpc", json: true, contentType: "application/grpc+json" },
  { name: "gRPC-Web (HTTP/1.1)", http: "1.1", family: "grpc-web", json: false, contentType: "application/grpc-web+proto" },
  { name: "gRPC-Web (HTTP/2)", http: "2", family: "grpc-web", json: false, contentType: "application/grpc-web" },
  { name: "gRPC-Web+json (HTTP/1.1)", http: "1.1", family: "grpc-web", json: true, contentType: "application/grpc-web+json" },
  { name: "Connect binary (HTTP/1.1)", http: "1.1", family: "connect", json: false, contentType: "application/proto" },
  { name: "Connect binary (HTTP/2)", http: "2", family: "connect", json: false, contentType: "application/proto" },
  { name: "Connect JSON (HTTP/1.1)", http: "1.1", family: "connect", json: true, contentType: "application/json" },
  { name: "Connect JSON (HTTP/2)", http: "2", family: "connect", json: true, contentType: "application/json; charset=utf-8" },
];

/** How the body is compressed, correctly or not. */
export const COMPRESSIONS = [
  "none",
  "gzip",
  "br",
  "gzip-truncated",
  "br-truncated",
  "garbage-as-gzip",
  "garbage-as-br",
  "compressed-flag-without-encoding",
  "encoding-header-on-plain-body",
  "unknown-encoding",
] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** How an enveloped body is framed (gRPC, gRPC-Web). */
export const FRAMINGS = ["one", "no-message", "two-messages", "length-short", "length-long", "trailer-flag", "unknown-flag", "bytes-after"] as const;
export type Framing = (typeof FRAMINGS)[number];

export const AUTHS = ["service", "admin", "none", "garbage", "unknown-key", "twice", "trailing-space", "lower-case-scheme", "basic"] as const;
export type Auth = (typeof AUTHS)[number];

export type Timeout = { kind: "none" } | { kind: "valid"; ms: number } | { kind: "garbage"; value: string } | { kind: "huge" } | { kind: "twice"; ms: number };

/** One generated request, before it is turned into bytes. */
export interface FuzzCase {
  target: (typeof METHODS)[number];
  wire: Wire;
  payload: { kind: "valid"; init: Record<string, unknown> } | { kind: "mutated"; init: Record<string, unknown>; damage: Parameters<typeof mutate>[1] } | { kind: "garbage"; bytes: Uint8Array };
  compression: Compression;
  framing: Framing;
  auth: Auth;
  timeout: Timeout;
  /** HTTP/1.1: declare a Content-Length this many bytes longer than the body sent. */
  shortBodyBy: number;
  requestId: string | undefined;
}

const timeoutArb: fc.Arbitrary<Timeout> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "none" as const }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3000 }).map((ms) => ({ kind: "valid" as const, ms })) },
  { weight: 2, arbitrary: fc.oneof(fc.constantFrom("abc", "1000, abc", "-1", "1.5S", "10s", " 5S", "99999999999", "1000ms"), fc.string({ maxLength: 12 })).map((value) => ({ kind: "garbage" as const, value })) },
  { weight: 1, arbitrary: fc.constant({ kind: "huge" as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 3000 }).map((ms) => ({ kind: "twice" as const, ms })) },
);

/** Mostly well-formed traffic with one thing wrong at a time, plus a share of anything goes. */
export function fuzzCase(): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      target: fc.constantFrom(...METHODS),
      wire: fc.constantFrom(...WIRES),
      compression: fc.oneof({ weight: 6, arbitrary: fc.constant<Compression>("none") }, { weight: 4, arbitrary: fc.constantFrom(...COMPRESSIONS) }),
      framing: fc.oneof({ weight: 6, arbitrary: fc.constant<Framing>("one") }, { weight: 3, arbitrary: fc.constantFrom(...FRAMINGS) }),
      auth: fc.oneof({ weight: 6, arbitrary: fc.constantFrom<Auth>("service", "admin") }, { weight: 3, arbitrary: fc.constantFrom(...AUTHS) }),
      timeout: timeoutArb,
      shortBodyBy: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }) }),
      requestId: fc.option(fc.oneof(fc.constant("fuzz-req-1"), fc.string({ maxLength: 200 })), { nil: undefined }),
      pick: fc.constantFrom("valid", "valid", "mutated", "mutated", "garbage"),
      damage: mutation,
      garbage: fc.uint8Array({ maxLength: 120 }),
      seed: fc.nat(),
    })
    .chain((r) =>
      messageInit(r.target.method.input).map((init): FuzzCase => ({
        target: r.target,
        wire: r.wire,
        compression: r.compression,
        framing: r.framing,
        auth: r.auth,
        timeout: r.timeout,
        shortBodyBy: r.wire.http === "1.1" ? r.shortBodyBy : 0,
        // A short body waits for the deadline; most carry a short one, so the run stays quick.
        ...(r.wire.http === "1.1" && r.shortBodyBy > 0 && r.timeout.kind !== "garbage" ? { timeout: { kind: "valid" as const, ms: 50 + (r.seed % 250) } } : {}),
        requestId: r.requestId,
        payload: r.pick === "valid" ? { kind: "valid", init } : r.pick === "mutated" ? { kind: "mutated", init, damage: r.damage } : { kind: "garbage", bytes: r.garbage },
      })),
    );
}

const enveloped = (wire: Wire): boolean => wire.family !== "connect";

function frame(flags: number, data: Uint8Array, declared = data.byteLength): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(declared >>> 0, 1);
  return Buffer.concat([head, data]);
}

function compressed(kind: Compression, data: Uint8Array): { bytes: Uint8Array; encoding: string | undefined; flag: boolean } {
  switch (kind) {
    case "gzip":
      return { bytes: gzipSync(data), encoding: "gzip", flag: true };
    case "br":
      return { bytes: brotliCompressSync(data), encoding: "br", flag: true };
    case "gzip-truncated": {
      const z = gzipSync(data);
      return { bytes: z.subarray(0, Math.max(1, z.byteLength - 5)), encoding: "gzip", flag: true };
    }
    case "br-truncated": {
      const z = brotliCompressSync(data);
      return { bytes: z.subarray(0, Math.max(1, Math.floor(z.byteLength / 2))), encoding: "br", flag: true };
    }
    case "garbage-as-gzip":
      return { bytes: Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), data]), encoding: "gzip", flag: true };
    case "garbage-as-br":
      return { bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), data]), encoding: "br", flag: true };
    case "compressed-flag-without-encoding":
      return { bytes: gzipSync(data), encoding: undefined, flag: true };
    case "encoding-header-on-plain-body":
      return { bytes: data, encoding: "gzip", flag: false };
    case "unknown-encoding":
      return { bytes: data, encoding: "snappy", flag: true };
    case "none":
      return { bytes: data, encoding: undefined, flag: false };
  }
}

export interface Keys {
  service: string;
  admin: string;
}

/** The bytes and headers of a case, and the deadline the server should keep to. */
export function build(c: FuzzCase, keys: Keys, capMs: number): { request: RawRequest; deadlineMs: number } {
  const { wire } = c;
  const input = c.target.method.input;
  let message: Uint8Array =
    c.payload.kind === "garbage" ? c.payload.bytes : encode(input, c.payload.init, wire.json);
  if (c.payload.kind === "mutated") message = mutate(message, c.payload.damage);

  const z = compressed(c.compression, message);
  let body: Uint8Array;
  if (!enveloped(wire)) {
    body = z.bytes;
  } else {
    const flags = z.flag ? 1 : 0;
    switch (c.framing) {
      case "one":
        body = frame(flags, z.bytes);
        break;
      case "no-message":
        body = new Uint8Array(0);
        break;
      case "two-messages":
        body = Buffer.concat([frame(flags, z.bytes), frame(flags, z.bytes)]);
        break;
      case "length-short":
        body = frame(flags, z.bytes, Math.max(0, z.bytes.byteLength - 1));
        break;
      case "length-long":
        body = frame(flags, z.bytes, z.bytes.byteLength + 7);
        break;
      case "trailer-flag":
        body = frame(0x80 | flags, z.bytes);
        break;
      case "unknown-flag":
        body = frame(0x04 | flags, z.bytes);
        break;
      case "bytes-after":
        body = Buffer.concat([frame(flags, z.bytes), Buffer.from([0, 0])]);
        break;
    }
  }

  const headers: Record<string, string | string[]> = { "content-type": wire.contentType };
  if (wire.family === "grpc") headers["te"] = "trailers";
  const encodingHeader = wire.family === "connect" ? "content-encoding" : "grpc-encoding";
  if (z.encoding !== undefined) headers[encodingHeader] = z.encoding;

  const auth = authorization(c.auth, keys);
  if (auth !== undefined) headers["authorization"] = auth;

  const timeoutHeader = wire.family === "connect" ? "connect-timeout-ms" : "grpc-timeout";
  const asHeader = (ms: number): string => (wire.family === "connect" ? String(ms) : `${ms}m`);
  let deadlineMs = capMs;
  switch (c.timeout.kind) {
    case "valid":
      headers[timeoutHeader] = asHeader(c.timeout.ms);
      deadlineMs = Math.min(c.timeout.ms, capMs);
      break;
    case "garbage":
      headers[timeoutHeader] = c.timeout.value.replace(/[^\x20-\x7e]/g, "");
      break;
    case "huge":
      headers[timeoutHeader] = wire.family === "connect" ? "9999999999" : "99999999H";
      break;
    case "twice":
      headers[timeoutHeader] = [asHeader(c.timeout.ms), asHeader(c.timeout.ms + 1)];
      break;
    case "none":
      break;
  }
  if (c.requestId !== undefined) headers["x-request-id"] = c.requestId.replace(/[^\x20-\x7e]/g, "");

  const request: RawRequest = {
    path: `/${c.target.service.typeName}/${c.target.method.name}`,
    headers,
    body,
    ...(c.shortBodyBy > 0 ? { declaredLength: body.byteLength + c.shortBodyBy } : {}),
  };
  return { request, deadlineMs };
}

function authorization(auth: Auth, keys: Keys): string | string[] | undefined {
  switch (auth) {
    case "service":
      return `Bearer ${keys.service}`;
    case "admin":
      return `Bearer ${keys.admin}`;
    case "none":
      return undefined;
    case "garbage":
      return "Bearer \x7f\x01 not a key";
    case "unknown-key":
      return "Bearer tf_0000000000_unknownunknownunknown";
    case "twice":
      return [`Bearer ${keys.admin}`, `Bearer ${keys.service}`];
    case "trailing-space":
      return `Bearer ${keys.admin} `;
    case "lower-case-scheme":
      return `bearer ${keys.service}`;
    case "basic":
      return "Basic dXNlcjpwYXNz";
  }
}
