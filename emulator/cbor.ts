import { Decoder, Encoder } from "cbor-x";

/**
 * CBOR as CTAP2 and WebAuthn need it: Maps keep integer keys (COSE) and their
 * insertion order (we insert in CTAP2 canonical order), byte strings are
 * plain major type 2 (no typed-array tags), no cbor-x record extensions.
 */
const encoder = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false, variableMapSize: true });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

/** A CBOR value as this emulator builds it. */
export type CborValue = number | string | boolean | null | Uint8Array | CborValue[] | Map<number | string, CborValue>;

/** Encodes one CBOR item. */
export function cborEncode(value: CborValue): Uint8Array {
  const out = encoder.encode(value);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Decodes one CBOR item (maps come back as Map, byte strings as Uint8Array). */
export function cborDecode(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}
