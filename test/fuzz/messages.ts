import { create, ScalarType, toBinary, toJsonString, type DescField, type DescMessage } from "@bufbuild/protobuf";
import fc from "fast-check";

/** A few user ids shared by all cases, so some calls meet state others made. */
export const FUZZ_USERS = ["fuzz-u1", "fuzz-u2", "fuzz-u3"] as const;

const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FUZZ_USERS, "", "phone", "imap", "example.org", "https://example.org", "123456", "00000000-0000-4000-8000-000000000000") },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constant("x".repeat(300)) },
);

function scalar(type: ScalarType): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.STRING:
      return text;
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 70 });
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return fc.double({ noNaN: true, min: -1e6, max: 1e6 });
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.oneof(fc.bigInt({ min: 0n, max: 2000n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    default:
      return fc.oneof(fc.integer({ min: -5, max: 40 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
  }
}

function fieldValue(field: DescField, depth: number): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case "scalar":
      return scalar(field.scalar);
    case "enum":
      return fc.integer({ min: -1, max: 8 });
    case "message":
      return messageInit(field.message, depth + 1);
    case "list": {
      const item =
        field.listKind === "scalar" ? scalar(field.scalar) : field.listKind === "enum" ? fc.integer({ min: 0, max: 8 }) : messageInit(field.message, depth + 1);
      return fc.array(item, { maxLength: 4 });
    }
    case "map": {
      const value = field.mapKind === "scalar" ? scalar(field.scalar) : field.mapKind === "enum" ? fc.integer({ min: 0, max: 8 }) : messageInit(field.message, depth + 1);
      return fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 3 });
    }
  }
}

/**
 * A message init of any shape the schema allows: each field present or not,
 * one member of each oneof, values from the whole range of their types plus
 * a few that mean something to the service (its fuzz users, a TOTP-looking
 * code), so calls reach validation and the domain, not only the decoder.
 */
export function messageInit(desc: DescMessage, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  if (depth > 3) return fc.constant({});
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of desc.fields) {
    if (field.oneof !== undefined) continue;
    parts[field.localName] = fc.option(fieldValue(field, depth), { nil: undefined, freq: 3 });
  }
  for (const oneof of desc.oneofs) {
    parts[oneof.localName] = fc.option(
      fc.oneof(...oneof.fields.map((f) => fieldValue(f, depth).map((value) => ({ case: f.localName, value })))),
      { nil: undefined, freq: 4 },
    );
  }
  return fc.record(parts).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
}

/** The message in the wire's codec; JSON that protobuf-es cannot write (a timestamp out of range) falls back to `{}`. */
export function encode(desc: DescMessage, init: Record<string, unknown>, json: boolean): Uint8Array {
  const message = create(desc, init as never);
  if (!json) return toBinary(desc, message);
  try {
    return Buffer.from(toJsonString(desc, message));
  } catch {
    return Buffer.from("{}");
  }
}

/** Byte-level damage to an encoded message: the kinds a broken client, a proxy or an attacker produce. */
export const mutation = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("duplicate" as const) }),
  fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);

export type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

export function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const b = Buffer.from(bytes);
  const at = "at" in m ? (b.byteLength === 0 ? 0 : m.at % b.byteLength) : 0;
  switch (m.kind) {
    case "truncate":
      return b.subarray(0, at);
    case "flip":
      if (b.byteLength > 0) b[at] = (b[at] as number) ^ m.bits;
      return b;
    case "insert":
      return Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    case "duplicate":
      return Buffer.concat([b, b]);
    case "append":
      return Buffer.concat([b, m.bytes]);
  }
}
