import jsqr from "jsqr";
import { PNG } from "pngjs";
import QRCode from "qrcode";
import { describe, expect, it } from "vitest";
import { buildOtpEnrolment, type OtpSchedule } from "../../src/domain/otp/enrolment.js";
import { renderQrPng } from "../../src/domain/otp/qr-png.js";

// RFC 6238 Appendix B's 64-byte SHA-512 seed, with a long issuer and account,
// so the URI is as long as a real enrolment's.
const SECRET_SHA512 = Buffer.from("1234567890".repeat(7).slice(0, 64), "latin1");
const ISSUER = "Example Corp Intranet";
const ACCOUNT = "alice.wonderland@example.com";
const TOTP: OtpSchedule = { kind: "totp", periodSeconds: 30 };
const HOTP: OtpSchedule = { kind: "hotp", counter: 42 };

// The options the enrolment uses: qrcode's PNG defaults.
const QUIET_ZONE = 4;
const SCALE = 4;

async function enrolmentFor(schedule: OtpSchedule) {
  return buildOtpEnrolment(schedule, {
    secret: SECRET_SHA512,
    issuer: ISSUER,
    accountName: ACCOUNT,
    algorithm: "SHA512",
    digits: 8,
  });
}

/** The text as one byte-mode segment, as the enrolment encodes it (qrcode's renderers are the oracle for the same segments). */
const byteSegment = (text: string) => [{ data: Buffer.from(text, "utf8"), mode: "byte" as const }];

function readQr(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  // jsqr is CommonJS whose types declare `export default`; its exports object
  // carries `default` too, which is what NodeNext types the import as.
  return jsqr.default(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
}

describe("QR code PNG", () => {
  it("draws a TOTP otpauth URI that a QR reader reads back exactly", async () => {
    const enrolment = await enrolmentFor(TOTP);
    expect(enrolment.otpauthUri).toMatch(/^otpauth:\/\/totp\/.*algorithm=SHA512&digits=8&period=30$/);
    expect(readQr(enrolment.qrPng)).toBe(enrolment.otpauthUri);
  });

  it("draws an HOTP otpauth URI that a QR reader reads back exactly", async () => {
    const enrolment = await enrolmentFor(HOTP);
    expect(enrolment.otpauthUri).toMatch(/^otpauth:\/\/hotp\/.*algorithm=SHA512&digits=8&counter=42$/);
    expect(readQr(enrolment.qrPng)).toBe(enrolment.otpauthUri);
  });

  it("is a 1-bit greyscale square of (modules + two quiet zones) × scale pixels", async () => {
    const { otpauthUri, qrPng } = await enrolmentFor(TOTP);
    const modules = QRCode.create(byteSegment(otpauthUri), { errorCorrectionLevel: "M" }).modules.size;
    const side = (modules + 2 * QUIET_ZONE) * SCALE;
    const image = PNG.sync.read(qrPng);
    expect(modules).toBeGreaterThan(21); // past version 1, so several bytes a row
    expect([image.width, image.height]).toEqual([side, side]);
    expect(image.depth).toBe(1);
    expect(image.colorType).toBe(0);
    // The same in the IHDR bytes themselves (W3C PNG §11.2.2).
    expect(qrPng.subarray(12, 16).toString("latin1")).toBe("IHDR");
    expect([qrPng.readUInt32BE(16), qrPng.readUInt32BE(20), qrPng[24], qrPng[25], qrPng[28]]).toEqual([side, side, 1, 0, 0]);
  });

  it("draws every module, quiet zone and scale as qrcode's own PNG renderer does", async () => {
    for (const schedule of [TOTP, HOTP]) {
      const { otpauthUri, qrPng } = await enrolmentFor(schedule);
      const ours = PNG.sync.read(qrPng);
      const theirs = PNG.sync.read(await QRCode.toBuffer(byteSegment(otpauthUri), { type: "png", errorCorrectionLevel: "M" }));
      expect([ours.width, ours.height]).toEqual([theirs.width, theirs.height]);
      expect(ours.data.equals(theirs.data)).toBe(true);
    }
  });

  it("draws a row that ends inside a byte pixel for pixel", () => {
    // Version 1 (21 modules) with no quiet zone at scale 3: 63 pixels a row.
    const png = renderQrPng("1", { errorCorrectionLevel: "L", margin: 0, scale: 3 });
    const image = PNG.sync.read(png);
    const { size, data } = QRCode.create(byteSegment("1"), { errorCorrectionLevel: "L" }).modules;
    expect(size).toBe(21);
    expect(image.width).toBe(63);
    const dark = (x: number, y: number) => image.data[(y * image.width + x) * 4] === 0;
    const drawn = Array.from({ length: 63 * 63 }, (_, i) => dark(i % 63, Math.floor(i / 63)));
    const wanted = Array.from({ length: 63 * 63 }, (_, i) => data[Math.floor(i / 63 / 3) * size + Math.floor((i % 63) / 3)] === 1);
    expect(drawn).toEqual(wanted);
  });
});

describe("QR code SVG", () => {
  /** The dark modules an SVG of renderQrSvg's shape draws, read back from its path of runs. */
  function modulesOf(svg: string, side: number): number[] {
    const grid = new Array<number>(side * side).fill(0);
    const d = /<path stroke="#000000" d="([^"]*)"/.exec(svg)?.[1] ?? "";
    for (const m of d.matchAll(/M(\d+) (\d+)\.5h(\d+)/g)) {
      const [x, y, n] = [Number(m[1]), Number(m[2]), Number(m[3])];
      for (let i = 0; i < n; i++) grid[y * side + x + i] = 1;
    }
    return grid;
  }

  it("draws exactly the modules of qrcode's matrix, inside the same quiet zone", async () => {
    for (const schedule of [TOTP, HOTP]) {
      const enrolment = await enrolmentFor(schedule);
      const { size, data } = QRCode.create(byteSegment(enrolment.otpauthUri), { errorCorrectionLevel: "M" }).modules;
      const side = size + 2 * QUIET_ZONE;
      expect(enrolment.qrSvg).toMatch(new RegExp(`^<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}"`));
      const expected = new Array<number>(side * side).fill(0);
      for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) expected[(r + QUIET_ZONE) * side + c + QUIET_ZONE] = data[r * size + c] ? 1 : 0;
      expect(modulesOf(enrolment.qrSvg, side)).toEqual(expected);
    }
  });
});
