import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import QRCode, { type QRCodeErrorCorrectionLevel } from "qrcode";
import { describe, expect, it } from "vitest";
import { qrMatrix } from "../../src/domain/otp/qr-matrix.js";

// qrcode's own capacity table (CommonJS internals with no type declarations), to pick one symbol per version.
const require = createRequire(import.meta.url);
const Version = require("qrcode/lib/core/version.js") as { getCapacity(version: number, level: unknown, mode: unknown): number };
const ECLevel = require("qrcode/lib/core/error-correction-level.js") as Record<"L" | "M" | "Q" | "H", unknown>;
const Mode = require("qrcode/lib/core/mode.js") as { BYTE: unknown };

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
  it("is qrcode's symbol, module for module, for every version 1 to 40 at every error-correction level", () => {
    const masks = new Set<number>();
    for (const level of ["L", "M", "Q", "H"] as const) {
      for (let version = 1; version <= 40; version++) {
        // The most bytes that version holds at this level: the smallest symbol for them is that version.
        const data = bytes(`${level}/${version}`, Version.getCapacity(version, ECLevel[level], Mode.BYTE));
        const expected = qrcodeSymbol(data, level);
        expect(expected.version).toBe(version);
        const got = qrMatrix(data, level);
        expect(got.size, `${level} version ${version}`).toBe(expected.size);
        expect(Buffer.from(got.data).equals(Buffer.from(expected.data)), `${level} version ${version}, qrcode's mask ${expected.mask}`).toBe(true);
        masks.add(expected.mask);
      }
    }
    expect(masks.size).toBeGreaterThanOrEqual(6);
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
