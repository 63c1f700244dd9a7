import { create, ScalarType, toBinary, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { AdminService } from "../../src/gen/twofold/v1/admin_pb.js";
import { AppPasswordService } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { BackupCodeService } from "../../src/gen/twofold/v1/backup_codes_pb.js";
import { ChallengeResponseSchema, VerifyResponseSchema } from "../../src/gen/twofold/v1/authentication_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { outputEncoder } from "../../src/server/encode-output.js";

/**
 * The compiled response encoder against the library: for every message type
 * the services send or take, values drawn by a seeded generator (zero values,
 * extremes, multi-byte text, empty and long lists, nested messages whose
 * length needs one, two or three bytes) encode to exactly the bytes of
 * `toBinary(create(schema, value))`.
 */

const services = [AuthenticationService, EnrolmentService, BackupCodeService, AppPasswordService, AdminService];

function reachable(): DescMessage[] {
  const seen = new Set<DescMessage>();
  const visit = (m: DescMessage): void => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const f of m.fields) {
      if (f.fieldKind === "message" || (f.fieldKind === "list" && f.listKind === "message")) visit(f.message);
      if (f.fieldKind === "map" && f.mapKind === "message") visit(f.message);
    }
  };
  for (const s of services) for (const m of s.methods) (visit(m.input), visit(m.output));
  return [...seen];
}

/** A small seeded generator (mulberry32), so every run draws the same values. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const texts = ["", "a", "ünïcödé", "🔑 key", "x".repeat(42), "y".repeat(43), "é".repeat(64), "z".repeat(200), "w".repeat(20_000)];
const int32s = [0, 1, -1, 127, 128, 300, 2 ** 31 - 1, -(2 ** 31)];
const uint32s = [0, 1, 127, 128, 16_383, 16_384, 2 ** 32 - 1];
const int64s = [0n, 1n, -1n, 1_700_000_000n, 2n ** 53n, 2n ** 63n - 1n, -(2n ** 63n)];
const uint64s = [0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

function scalar(r: () => number, type: ScalarType): unknown {
  switch (type) {
    case ScalarType.STRING:
      return pick(r, texts);
    case ScalarType.BOOL:
      return r() < 0.5;
    case ScalarType.INT32:
      return pick(r, int32s);
    case ScalarType.UINT32:
      return pick(r, uint32s);
    case ScalarType.INT64:
      return pick(r, int64s);
    case ScalarType.UINT64:
      return pick(r, uint64s);
    case ScalarType.BYTES:
      return Uint8Array.from({ length: pick(r, [0, 1, 16, 130]) }, (_, i) => (i * 37) & 0xff);
    default:
      throw new Error(`no values for scalar type ${type}`);
  }
}

function fieldValue(r: () => number, f: DescField, depth: number): unknown {
  switch (f.fieldKind) {
    case "scalar":
      return scalar(r, f.scalar);
    case "enum":
      return pick(r, f.enum.values).number;
    case "message":
      return value(r, f.message, depth + 1);
    case "list": {
      const n = pick(r, [0, 1, 3]);
      return Array.from({ length: n }, () =>
        f.listKind === "message" ? value(r, f.message, depth + 1) : f.listKind === "enum" ? pick(r, f.enum.values).number : scalar(r, f.scalar),
      );
    }
    case "map":
      return {};
  }
}

/** An init-shaped value: each field set or left out at random, nested messages as plain objects (Timestamps sometimes built). */
function value(r: () => number, desc: DescMessage, depth: number): Record<string, unknown> {
  if (desc.typeName === "google.protobuf.Timestamp" && r() < 0.5) return timestampFromDate(new Date(Math.floor(r() * 4e12)));
  const v: Record<string, unknown> = {};
  if (depth > 4) return v;
  for (const f of desc.fields) {
    if (r() < 0.3) continue;
    if (f.oneof !== undefined) {
      if (v[f.oneof.localName] === undefined || r() < 0.5) v[f.oneof.localName] = { case: f.localName, value: fieldValue(r, f, depth) };
      continue;
    }
    v[f.localName] = fieldValue(r, f, depth);
  }
  return v;
}

describe("the compiled response encoder", () => {
  const types = reachable();

  it("covers the hot responses and most types", () => {
    expect(outputEncoder(ChallengeResponseSchema)).toBeDefined();
    expect(outputEncoder(VerifyResponseSchema)).toBeDefined();
    const covered = types.filter((t) => outputEncoder(t) !== undefined);
    // AuditEvent has a map field, so it and the responses holding it go to the library.
    expect(covered.length).toBeGreaterThan(types.length - 4);
  });

  it("writes the library's bytes for every type it covers, with headroom left before them", () => {
    const r = rng(20261203);
    let compared = 0;
    for (const desc of types) {
      const encode = outputEncoder(desc);
      if (encode === undefined) continue;
      for (let i = 0; i < 60; i++) {
        const v = value(r, desc, 0);
        const expected = toBinary(desc, create(desc, v as never));
        const got = encode(v, 5);
        expect(Buffer.from(got.subarray(5)).toString("hex"), `${desc.typeName} #${i}`).toBe(Buffer.from(expected).toString("hex"));
        // A built message of the same value encodes the same.
        expect(Buffer.from(encode(create(desc, v as never), 0)).equals(Buffer.from(expected))).toBe(true);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1_000);
  });

  it("writes a Challenge answer with many factors (lengths of two and three bytes)", () => {
    const factor = { id: "0f3c5a8e-1d2b-4c6f-9a7e-2b1d3c4e5f60", label: "Nitrokey 3 – slot 1", kind: 1, state: 2 };
    const v = {
      transactionId: "0f3c5a8e-1d2b-4c6f-9a7e-2b1d3c4e5f61",
      expiresAt: timestampFromDate(new Date("2026-12-03T12:00:00Z")),
      secondFactorRequired: true,
      providers: [{ provider: 1, factors: Array.from({ length: 400 }, () => factor), webauthnRequestOptionsJson: "{}".repeat(5_000) }],
    };
    const expected = toBinary(ChallengeResponseSchema, create(ChallengeResponseSchema, v as never));
    expect(expected.length).toBeGreaterThan(16_384);
    expect(outputEncoder(ChallengeResponseSchema)?.(v, 0).equals(Buffer.from(expected))).toBe(true);
  });
});
