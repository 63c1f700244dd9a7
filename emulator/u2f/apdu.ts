/** ISO 7816-4 APDUs as U2F raw messages use them (FIDO U2F Raw Message Formats §3). */

/** U2F status words. */
export const U2fStatusWord = {
  NO_ERROR: 0x9000,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  WRONG_DATA: 0x6a80,
  WRONG_LENGTH: 0x6700,
  CLA_NOT_SUPPORTED: 0x6e00,
  INS_NOT_SUPPORTED: 0x6d00,
} as const;

/** U2F instructions. */
export const U2fIns = { REGISTER: 0x01, AUTHENTICATE: 0x02, VERSION: 0x03 } as const;

/** U2F_AUTHENTICATE control bytes (P1). */
export const U2fControl = { CHECK_ONLY: 0x07, ENFORCE_USER_PRESENCE_AND_SIGN: 0x03, DONT_ENFORCE_USER_PRESENCE_AND_SIGN: 0x08 } as const;

/** A parsed command APDU. */
export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
}

/**
 * Parses short or extended-length encoding; null when the lengths do not add
 * up (the token answers 0x6700).
 */
export function parseCommandApdu(apdu: Uint8Array): CommandApdu | null {
  if (apdu.length < 4) return null;
  const [cla, ins, p1, p2] = [apdu[0]!, apdu[1]!, apdu[2]!, apdu[3]!];
  const body = apdu.subarray(4);
  if (body.length === 0) return { cla, ins, p1, p2, data: new Uint8Array(0) };
  if (body[0] === 0 && body.length >= 3) {
    // Extended: 00 Le1 Le2 (no data) or 00 Lc1 Lc2 data [Le1 Le2]
    if (body.length === 3) return { cla, ins, p1, p2, data: new Uint8Array(0) };
    const lc = (body[1]! << 8) | body[2]!;
    const rest = body.length - 3 - lc;
    if (lc === 0 || (rest !== 0 && rest !== 2)) return null;
    return { cla, ins, p1, p2, data: body.subarray(3, 3 + lc) };
  }
  if (body.length === 1) return { cla, ins, p1, p2, data: new Uint8Array(0) };
  const lc = body[0]!;
  const rest = body.length - 1 - lc;
  if (rest !== 0 && rest !== 1) return null;
  return { cla, ins, p1, p2, data: body.subarray(1, 1 + lc) };
}

/** Builds an extended-length command APDU, as browsers send over CTAPHID_MSG. */
export function encodeCommandApdu(ins: number, p1: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 3 + data.length + 2);
  out.set([0x00, ins, p1, 0x00, 0x00, data.length >> 8, data.length & 0xff]);
  out.set(data, 7);
  return out;
}

/** Appends a status word to response data. */
export function withStatus(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

/** Splits a response APDU into data and status word. */
export function splitResponse(response: Uint8Array): { data: Uint8Array; sw: number } {
  if (response.length < 2) throw new RangeError("response APDU shorter than a status word");
  const n = response.length;
  return { data: response.subarray(0, n - 2), sw: (response[n - 2]! << 8) | response[n - 1]! };
}
