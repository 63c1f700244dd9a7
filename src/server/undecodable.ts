import { isUtf8 } from "node:buffer";
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import { invalidArgument } from "../domain/errors.js";
import { toConnectError } from "../rpc/errors.js";

/** Nesting deeper than this is not searched for the culprit field. */
const maxDepth = 16;

/**
 * The one answer to a request body that does not decode as the method's
 * input message, on every protocol: INVALID_ARGUMENT in our words, never the
 * parser's (which may quote input or name internals). When the culprit is a
 * string with invalid UTF-8, the answer is the same BadRequest a validator
 * would give, naming that field (docs/design.md "Results and errors").
 */
export function undecodable(logger: Logger, field?: string): ConnectError {
  if (field !== undefined) {
    return toConnectError(invalidArgument([{ field, description: "must be valid UTF-8" }]), logger);
  }
  return new ConnectError(
    "request message could not be decoded: malformed encoding, a field of the wrong type, or invalid UTF-8 in a string field",
    Code.InvalidArgument,
  );
}

/**
 * Finds the string field holding invalid UTF-8 in a binary message that
 * failed to decode, as a dotted proto path ("spec.totp.issuer"). Undefined
 * when the wire format itself is broken, which no single field explains.
 * Runs only on the error path, so it may re-read the bytes.
 */
export function invalidUtf8Field(desc: DescMessage, bytes: Uint8Array, prefix = "", depth = 0): string | undefined {
  if (depth > maxDepth) return undefined;
  const reader = new BinaryReader(bytes);
  try {
    while (reader.pos < reader.len) {
      const [no, wireType] = reader.tag();
      const field = desc.fields.find((f) => f.number === no);
      if (field === undefined || wireType !== WireType.LengthDelimited) {
        reader.skip(wireType, no);
        continue;
      }
      const culprit = culpritIn(field, reader.bytes(), `${prefix}${field.name}`, depth);
      if (culprit !== undefined) return culprit;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function culpritIn(field: DescField, data: Uint8Array, path: string, depth: number): string | undefined {
  switch (field.fieldKind) {
    case "scalar":
      return field.scalar === ScalarType.STRING && !isUtf8(data) ? path : undefined;
    case "list":
      if (field.listKind === "scalar") return field.scalar === ScalarType.STRING && !isUtf8(data) ? path : undefined;
      if (field.listKind === "message") return invalidUtf8Field(field.message, data, `${path}.`, depth + 1);
      return undefined;
    case "message":
      return invalidUtf8Field(field.message, data, `${path}.`, depth + 1);
    case "map":
      // A map entry is a message with key = 1 and value = 2; any bad string in it blames the map.
      return mapEntryHasInvalidUtf8(field, data, depth) ? path : undefined;
    default:
      return undefined;
  }
}

function mapEntryHasInvalidUtf8(field: DescField & { fieldKind: "map" }, entry: Uint8Array, depth: number): boolean {
  const reader = new BinaryReader(entry);
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (wireType !== WireType.LengthDelimited) {
      reader.skip(wireType, no);
      continue;
    }
    const data = reader.bytes();
    if (no === 1 && field.mapKey === ScalarType.STRING && !isUtf8(data)) return true;
    if (no === 2 && field.mapKind === "scalar" && field.scalar === ScalarType.STRING && !isUtf8(data)) return true;
    if (no === 2 && field.mapKind === "message" && invalidUtf8Field(field.message, data, "", depth + 1) !== undefined) return true;
  }
  return false;
}
