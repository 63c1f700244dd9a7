import { createHash } from "node:crypto";
import QRCode, { type QRCodeErrorCorrectionLevel } from "qrcode";
import { describe, expect, it } from "vitest";
import { qrMatrix } from "../../src/domain/otp/qr-matrix.js";

/** `n` bytes derived from `seed`: fixed, so every run checks the same symbols. */
function bytes(seed: string, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 32) createHash("sha256").update(`${seed}/${i}`).digest().copy(out, i);
  return out;
}

/** qrcode's own symbol for one byte-mode segment, with its own mask search. */
function qrcodeSymbol(data: Buffer, level: QRCodeErrorCorrectionLevel) {
  const s = QRCode.create([{ data, mode: "byte" }], { errorCorrectionLevel: level });
  return { size: s.modules.size, data: Uint8Array.from(s.modules.data), mask: s.maskPattern as number, version: s.version };
}

describe("the QR module matrix", () => {
  it("is qrcode's symbol, module for module, for every version and error-correction level", () => {
    const seen = { versions: new Set<number>(), masks: new Set<number>() };
    for (const level of ["L", "M", "Q", "H"] as const) {
      // Lengths that step through versions 1 to 40 at this level (byte capacity grows to 2,953 at 40-L).
      for (let n = 1; n <= 2900; n = Math.ceil(n * 1.18)) {
        const data = bytes(`${level}/${n}`, n);
        let expected;
        try {
          expected = qrcodeSymbol(data, level);
        } catch {
          break; // beyond version 40 at this level
        }
        const got = qrMatrix(data, level);
        expect(got.size, `${level} ${n} bytes`).toBe(expected.size);
        expect(Buffer.from(got.data).equals(Buffer.from(expected.data)), `${level} ${n} bytes, qrcode's mask ${expected.mask}`).toBe(true);
        seen.versions.add(expected.version);
        seen.masks.add(expected.mask);
      }
    }
    // The inputs reached small, middle and large symbols (version info from 7 on) and many masks.
    expect(Math.min(...seen.versions)).toBe(1);
    expect(Math.max(...seen.versions)).toBeGreaterThanOrEqual(38);
    expect(seen.masks.size).toBeGreaterThanOrEqual(6);
  });

  it("picks each of the eight masks when it scores lowest, as qrcode does", () => {
    // Short texts at version 1-M, where the choice varies most from text to text.
    const masks = new Map<number, number>();
    for (let k = 0; k < 400 && masks.size < 8; k++) {
      const data = bytes(`v1/${k}`, 1 + (k % 14));
      const expected = qrcodeSymbol(data, "M");
      expect(Buffer.from(qrMatrix(data, "M").data).equals(Buffer.from(expected.data)), `text ${k}`).toBe(true);
      masks.set(expected.mask, (masks.get(expected.mask) ?? 0) + 1);
    }
    expect([...masks.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
