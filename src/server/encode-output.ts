/**
 * A binary encoder for a response message, compiled once per message type
 * from its descriptor, that writes the handler's plain result object (the
 * message's init shape) straight to bytes.
 *
 * Why: the library's way, `create(schema, init)` then `toBinary`, walks the
 * descriptor through its reflection API on every call and builds the whole
 * message first; for Challenge and Verify that was about 6 % of the server's
 * CPU per login. This writes the same bytes (fields in number order, proto3
 * zero values left out, packed repeated scalars, nested messages length
 * prefixed), which test/server/encode-output.test.ts checks against
 * `toBinary(create(...))` over every response type.
 *
 * It takes the init shape and built messages alike (a message has the same
 * properties). A type with a field it does not handle (a map, a group, a
 * float, a fixed-width or zig-zag integer, a proto2 required field) gets no
 * encoder, and the caller uses the library.
 */
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";

/** Encodes a value of one message type; the bytes start `headroom` bytes into the returned buffer. */
export type OutputEncoder = (value: unknown, headroom: number) => Buffer;

/** Writes one message's fields; `v` is its init-shaped value. */
type Fields = (out: Out, v: Record<string, unknown>) => void;

/** The field presence values of descriptors (google.protobuf.FeatureSet.FieldPresence). */
const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;

const compiled = new WeakMap<DescMessage, Fields | null>();
const encoders = new WeakMap<DescMessage, OutputEncoder | null>();

/** The encoder for `desc`, or undefined when one of its fields (or a nested message's) is of a kind this does not write. */
export function outputEncoder(desc: DescMessage): OutputEncoder | undefined {
  let encoder = encoders.get(desc);
  if (encoder === undefined) {
    const fields = fieldsOf(desc, new Set());
    encoder = fields === undefined ? null : encoderOf(fields);
    encoders.set(desc, encoder);
  }
  return encoder ?? undefined;
}

function encoderOf(fields: Fields): OutputEncoder {
  return (value, headroom) => {
    const out = scratch;
    out.pos = headroom;
    out.ensure(0);
    fields(out, value as Record<string, unknown>);
    return Buffer.from(out.buf.subarray(0, out.pos));
  };
}

/** A growable write buffer, shared: encoding is synchronous, so one call at a time uses it. */
class Out {
  buf = Buffer.allocUnsafe(16 * 1024);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** An unsigned varint below 2^53 (field tags, lengths, non-negative integers). */
  varint(n: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (n > 0x7fffffff) {
      buf[pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    while (n > 0x7f) {
      buf[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  /** Any 64-bit two's complement value as an unsigned varint (negative int32 and int64 take 10 bytes). */
  varint64(n: bigint): void {
    let u = BigInt.asUintN(64, n);
    if (u <= 0x1fffffffffffffn) {
      this.varint(Number(u));
      return;
    }
    this.ensure(10);
    while (u > 0x7fn) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  string(s: string): void {
    // Short ASCII is the common case; its UTF-8 length is its length.
    const max = s.length * 3;
    if (max < 128) {
      this.ensure(1 + max);
      const n = this.buf.write(s, this.pos + 1, "utf8");
      this.buf[this.pos] = n;
      this.pos += 1 + n;
      return;
    }
    const n = Buffer.byteLength(s, "utf8");
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A nested message: its body is written after one byte kept for the length, then moved if the length needs more. */
  nested(fields: Fields, v: Record<string, unknown>): void {
    this.ensure(1);
    const at = this.pos;
    this.pos = at + 1;
    fields(this, v);
    const len = this.pos - at - 1;
    if (len < 128) {
      this.buf[at] = len;
      return;
    }
    const extra = varintSize(len) - 1;
    this.ensure(extra);
    this.buf.copyWithin(at + 1 + extra, at + 1, this.pos);
    this.pos = at;
    this.varint(len);
    this.pos += len;
  }
}

const scratch = new Out();

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** A field's tag: number and wire type. */
function tag(no: number, wireType: number): number {
  return no * 8 + wireType;
}

/** Writes one scalar value (no tag); undefined for a type not handled. */
function scalarWriter(type: ScalarType): ((out: Out, v: unknown) => void) | undefined {
  switch (type) {
    case ScalarType.STRING:
      return (out, v) => out.string(v as string);
    case ScalarType.BOOL:
      return (out, v) => out.varint(v === true ? 1 : 0);
    case ScalarType.UINT32:
      return (out, v) => out.varint((v as number) >>> 0);
    case ScalarType.INT32:
      return (out, v) => {
        const n = (v as number) | 0;
        if (n >= 0) out.varint(n);
        else out.varint64(BigInt(n));
      };
    case ScalarType.INT64:
    case ScalarType.UINT64:
      return (out, v) => {
        if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) out.varint(v);
        else out.varint64(BigInt(v as bigint | number | string));
      };
    case ScalarType.BYTES:
      return (out, v) => out.bytes(v as Uint8Array);
    default:
      return undefined;
  }
}

function isZero(type: ScalarType, v: unknown): boolean {
  switch (type) {
    case ScalarType.STRING:
      return v === "";
    case ScalarType.BOOL:
      return v === false;
    case ScalarType.BYTES:
      return (v as Uint8Array).length === 0;
    case ScalarType.INT64:
    case ScalarType.UINT64:
      return v === 0 || v === 0n || v === "0";
    default:
      return v === 0;
  }
}

/** The fields writer of `desc`, compiled once; `open` holds the types being compiled (a type that contains itself). */
function fieldsOf(desc: DescMessage, open: Set<DescMessage>): Fields | undefined {
  const known = compiled.get(desc);
  if (known !== undefined) return known ?? undefined;
  if (open.has(desc)) {
    // Recursive: resolved when called, by which time the outer compile has finished.
    return (out, v) => (compiled.get(desc) as Fields)(out, v);
  }
  open.add(desc);
  const writers: Fields[] = [];
  let ok = true;
  for (const field of [...desc.fields].sort((a, b) => a.number - b.number)) {
    const w = fieldWriter(field, open);
    if (w === undefined) ok = false;
    else writers.push(w);
  }
  open.delete(desc);
  const fields: Fields | null = ok
    ? (out, v) => {
        for (let i = 0; i < writers.length; i++) (writers[i] as Fields)(out, v);
      }
    : null;
  compiled.set(desc, fields);
  return fields ?? undefined;
}

/** Writes one field of a message, when it is set, or undefined for a kind not handled. */
function fieldWriter(field: DescField, open: Set<DescMessage>): Fields | undefined {
  if (field.presence === LEGACY_REQUIRED) return undefined;
  const name = field.localName;
  const oneof = field.oneof?.localName;
  // The field's value, or undefined when it is not set (another case of its oneof, or absent).
  const get =
    oneof === undefined
      ? (v: Record<string, unknown>): unknown => v[name]
      : (v: Record<string, unknown>): unknown => {
          const o = v[oneof] as { case?: string; value?: unknown } | undefined;
          return o?.case === name ? o.value : undefined;
        };
  const implicit = oneof === undefined && field.presence === IMPLICIT;
  switch (field.fieldKind) {
    case "scalar":
    case "enum": {
      const type = field.fieldKind === "enum" ? ScalarType.INT32 : field.scalar;
      const write = scalarWriter(type);
      if (write === undefined) return undefined;
      const t = tag(field.number, type === ScalarType.STRING || type === ScalarType.BYTES ? 2 : 0);
      return (out, v) => {
        const x = get(v);
        if (x === undefined || x === null || (implicit && isZero(type, x))) return;
        out.varint(t);
        write(out, x);
      };
    }
    case "message": {
      if (field.delimitedEncoding) return undefined;
      const sub = fieldsOf(field.message, open);
      if (sub === undefined) return undefined;
      const t = tag(field.number, 2);
      return (out, v) => {
        const x = get(v);
        if (x === undefined || x === null) return;
        out.varint(t);
        out.nested(sub, x as Record<string, unknown>);
      };
    }
    case "list": {
      if (field.listKind === "message") {
        if (field.delimitedEncoding) return undefined;
        const sub = fieldsOf(field.message, open);
        if (sub === undefined) return undefined;
        const t = tag(field.number, 2);
        return (out, v) => {
          const xs = v[name] as readonly Record<string, unknown>[] | undefined;
          if (xs === undefined) return;
          for (const x of xs) {
            out.varint(t);
            out.nested(sub, x);
          }
        };
      }
      const type = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
      const write = scalarWriter(type);
      if (write === undefined) return undefined;
      const lengthDelimited = type === ScalarType.STRING || type === ScalarType.BYTES;
      if (field.packed && !lengthDelimited) {
        const t = tag(field.number, 2);
        const each: Fields = (out, v) => {
          for (const x of v[name] as readonly unknown[]) write(out, x);
        };
        return (out, v) => {
          const xs = v[name] as readonly unknown[] | undefined;
          if (xs === undefined || xs.length === 0) return;
          out.varint(t);
          out.nested(each, v);
        };
      }
      const t = tag(field.number, lengthDelimited ? 2 : 0);
      return (out, v) => {
        const xs = v[name] as readonly unknown[] | undefined;
        if (xs === undefined) return;
        for (const x of xs) {
          out.varint(t);
          write(out, x);
        }
      };
    }
    default:
      return undefined;
  }
}
