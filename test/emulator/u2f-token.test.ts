import { X509Certificate, createPublicKey, verify } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttestationCa,
  U2fControl,
  U2fIns,
  U2fStatusWord,
  U2fToken,
  concatBytes,
  encodeCommandApdu,
  splitResponse,
} from "../../emulator/index.js";

let ca: AttestationCa;
const challenge = new Uint8Array(32).fill(0xc1);
const app = new Uint8Array(32).fill(0xa9);

beforeAll(async () => {
  ca = await AttestationCa.create();
});

function pointKey(point: Uint8Array) {
  return createPublicKey({
    key: { kty: "EC", crv: "P-256", x: Buffer.from(point.subarray(1, 33)).toString("base64url"), y: Buffer.from(point.subarray(33)).toString("base64url") },
    format: "jwk",
  });
}

function register(token: U2fToken, application = app) {
  return splitResponse(token.transmit(encodeCommandApdu(U2fIns.REGISTER, 0, concatBytes(challenge, application))));
}

function authenticate(token: U2fToken, control: number, handle: Uint8Array, application = app) {
  const body = concatBytes(challenge, application, Uint8Array.of(handle.length), handle);
  return splitResponse(token.transmit(encodeCommandApdu(U2fIns.AUTHENTICATE, control, body)));
}

function parseRegistration(data: Uint8Array) {
  const point = data.subarray(1, 66);
  const handle = data.subarray(67, 67 + data[66]!);
  const rest = data.subarray(67 + handle.length);
  const certLength = 4 + ((rest[2]! << 8) | rest[3]!);
  return { point, handle, certificate: rest.subarray(0, certLength), signature: rest.subarray(certLength) };
}

describe("Nitrokey FIDO U2F raw messages", () => {
  it("registers: 0x05, a 65-byte key, a 64-byte handle, the attestation certificate and a signature it verifies", async () => {
    const token = await U2fToken.create({ ca });
    const { data, sw } = register(token);
    expect(sw).toBe(U2fStatusWord.NO_ERROR);
    expect(data[0]).toBe(0x05);
    const r = parseRegistration(data);
    expect(r.point[0]).toBe(0x04);
    expect(r.handle).toHaveLength(64);
    const cert = new X509Certificate(Buffer.from(r.certificate));
    expect(cert.checkIssued(new X509Certificate(Buffer.from(ca.rootCertificateDer)))).toBe(true);
    const signed = concatBytes(Uint8Array.of(0), app, challenge, r.handle, r.point);
    expect(verify("sha256", signed, cert.publicKey, r.signature)).toBe(true);
  });

  it("authenticates with UP set and a counter that rises by one, signed over app‖UP‖counter‖challenge", async () => {
    const token = await U2fToken.create({ ca });
    const r = parseRegistration(register(token).data);
    for (const expected of [1, 2, 3]) {
      const { data, sw } = authenticate(token, U2fControl.ENFORCE_USER_PRESENCE_AND_SIGN, r.handle);
      expect(sw).toBe(U2fStatusWord.NO_ERROR);
      expect(data[0]).toBe(0x01);
      expect(Buffer.from(data.subarray(1, 5)).readUInt32BE(0)).toBe(expected);
      const signed = concatBytes(app, data.subarray(0, 5), challenge);
      expect(verify("sha256", signed, pointKey(r.point), data.subarray(5))).toBe(true);
    }
  });

  it("answers check-only with 0x6985 for its own handle and 0x6A80 for a foreign one or another application", async () => {
    const token = await U2fToken.create({ ca });
    const other = await U2fToken.create({ ca });
    const mine = parseRegistration(register(token).data).handle;
    const foreign = parseRegistration(register(other).data).handle;
    expect(authenticate(token, U2fControl.CHECK_ONLY, mine).sw).toBe(U2fStatusWord.CONDITIONS_NOT_SATISFIED);
    expect(authenticate(token, U2fControl.CHECK_ONLY, foreign).sw).toBe(U2fStatusWord.WRONG_DATA);
    expect(authenticate(token, U2fControl.CHECK_ONLY, mine, new Uint8Array(32).fill(1)).sw).toBe(U2fStatusWord.WRONG_DATA);
    expect(authenticate(token, U2fControl.ENFORCE_USER_PRESENCE_AND_SIGN, mine, new Uint8Array(32).fill(1)).sw).toBe(U2fStatusWord.WRONG_DATA);
    expect(token.counter).toBe(0);
  });

  it("answers 0x6985 while the user does not touch it, and 0x6700 for a bad length", async () => {
    const token = await U2fToken.create({ ca });
    const handle = parseRegistration(register(token).data).handle;
    token.faults = { userPresenceTimeout: true };
    expect(authenticate(token, U2fControl.ENFORCE_USER_PRESENCE_AND_SIGN, handle).sw).toBe(U2fStatusWord.CONDITIONS_NOT_SATISFIED);
    expect(register(token).sw).toBe(U2fStatusWord.CONDITIONS_NOT_SATISFIED);
    token.faults = {};
    const short = splitResponse(token.transmit(encodeCommandApdu(U2fIns.REGISTER, 0, challenge)));
    expect(short.sw).toBe(U2fStatusWord.WRONG_LENGTH);
    const truncated = concatBytes(challenge, app, Uint8Array.of(64), handle.subarray(0, 10));
    expect(splitResponse(token.transmit(encodeCommandApdu(U2fIns.AUTHENTICATE, U2fControl.ENFORCE_USER_PRESENCE_AND_SIGN, truncated))).sw).toBe(
      U2fStatusWord.WRONG_LENGTH,
    );
    expect(splitResponse(token.transmit(Uint8Array.of(0, 1, 0))).sw).toBe(U2fStatusWord.WRONG_LENGTH);
  });

  it("signs without presence only when told not to enforce it, with UP clear", async () => {
    const token = await U2fToken.create({ ca });
    const handle = parseRegistration(register(token).data).handle;
    const { data, sw } = authenticate(token, U2fControl.DONT_ENFORCE_USER_PRESENCE_AND_SIGN, handle);
    expect(sw).toBe(U2fStatusWord.NO_ERROR);
    expect(data[0]).toBe(0x00);
  });

  it("reports U2F_V2 and refuses unknown instructions and classes", async () => {
    const token = await U2fToken.create({ ca });
    const version = splitResponse(token.transmit(Uint8Array.of(0, U2fIns.VERSION, 0, 0, 0, 0, 0)));
    expect(Buffer.from(version.data).toString()).toBe("U2F_V2");
    expect(splitResponse(token.transmit(Uint8Array.of(0, 0x40, 0, 0))).sw).toBe(U2fStatusWord.INS_NOT_SUPPORTED);
    expect(splitResponse(token.transmit(Uint8Array.of(0x80, U2fIns.VERSION, 0, 0))).sw).toBe(U2fStatusWord.CLA_NOT_SUPPORTED);
  });

  it("parses short-form APDUs as well as extended ones", async () => {
    const token = await U2fToken.create({ ca });
    const data = concatBytes(challenge, app);
    const short = Uint8Array.of(0, U2fIns.REGISTER, 0, 0, data.length, ...data, 0);
    expect(splitResponse(token.transmit(short)).sw).toBe(U2fStatusWord.NO_ERROR);
  });
});
