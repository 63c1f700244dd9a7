// PNG sections cited below are those of the W3C PNG Recommendation, second
// edition (2003, = ISO/IEC 15948), and of RFC 2083 (PNG 1.0).
import { deflateSync } from "node:zlib";
import type { QRCodeErrorCorrectionLevel } from "qrcode";
import { qrMatrix } from "./qr-matrix.js";
import { renderQrSvg } from "./qr-svg.js";

/** How the QR symbol becomes pixels: error correction, quiet zone and module size. */
export interface QrPngOptions {
  errorCorrectionLevel: QRCodeErrorCorrectionLevel;
  /** Quiet zone in modules on each side (ISO/IEC 18004 asks for 4). */
  margin: number;
  /** Pixels per module, in each direction. */
  scale: number;
}

// PNG signature (W3C PNG §5.2, RFC 2083 §3.1).
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// A QR image is a few kilobytes of long runs: level 9 saved 1 byte in 945 over
// level 6 for an enrolment URI, at twice the deflate time. A fixed level also
// keeps the output the same for the same text.
const DEFLATE_LEVEL = 6;

/**
 * Renders `text` as a QR code in a 1-bit grayscale PNG. qrcode's own PNG path
 * (pngjs) writes 32-bit RGBA and tries every filter on every row, which made
 * it about a third of server CPU during enrolment; a two-colour image needs
 * none of that: one bit per pixel, no filter search (packRows), one deflate call.
 */
export function renderQrPng(text: string, opts: QrPngOptions): Buffer {
  return renderQrImages(text, opts).png;
}

/**
 * The QR code of `text` as PNG (this writer) and SVG (qr-svg.ts) from one
 * module matrix (qr-matrix.ts): building it, with its search over the eight
 * mask patterns (ISO/IEC 18004 §7.8.3), is most of the work, so it is done once.
 */
export function renderQrImages(text: string, opts: QrPngOptions): { png: Buffer; svg: string } {
  // One byte-mode segment: qrcode would otherwise search the cheapest mix of
  // numeric, alphanumeric and byte segments (a shortest-path search over the
  // text, a quarter of the matrix's time). For an enrolment URI with a secret
  // of up to 40 bytes the symbol is the same version; a 64-byte (imported
  // SHA-512) secret's base32 text would fit in alphanumeric mode, and as
  // bytes its symbol is one version larger, which readers scan all the same.
  const { size, data } = qrMatrix(Buffer.from(text, "utf8"), opts.errorCorrectionLevel);
  const side = (size + 2 * opts.margin) * opts.scale;
  return { png: encodePng(side, packRows(size, data, side, opts)), svg: renderQrSvg(size, data, opts.margin) };
}

/**
 * The filtered scanlines (W3C PNG §7.2, RFC 2083 §2.3): each row is a filter
 * byte and then one bit per pixel, most significant bit first, 0 black and 1
 * white. A row that differs from the one above is written as it is (filter
 * type 0, None, what W3C PNG §12.8 and RFC 2083 §9.6 suggest below 8 bits per
 * pixel); a row that repeats it (the rest of a module's `scale` rows, the
 * quiet zone) takes filter type 2, Up, whose bytes are then all zero (§9.2).
 * No filter is searched for. For bench/qr-png.ts's enrolment URI the PNG is
 * smaller than with None on every row (903 bytes against 934), and deflate
 * took about four fifths of the time.
 */
function packRows(size: number, modules: Uint8Array, side: number, opts: QrPngOptions): Buffer {
  const stride = 1 + Math.ceil(side / 8);
  // Every row a repeat (Up, all zero) until drawn.
  const raw = Buffer.alloc(stride * side, 0);
  for (let y = 0; y < side; y++) raw[y * stride] = 2;
  // White rows as they are (filter None): the top of the quiet zone, and the first row below the symbol.
  // The padding bits past the last pixel of a row are unspecified (§7.2), so they may stay set.
  const white = (y: number): number => {
    const first = y * stride;
    raw[first] = 0;
    raw.fill(0xff, first + 1, first + stride);
    return first;
  };
  white(0);
  if ((opts.margin + size) * opts.scale < side) white((opts.margin + size) * opts.scale);
  for (let row = 0; row < size; row++) {
    // A module row's first pixel row is drawn; the `scale - 1` rows under it repeat it.
    const first = white((opts.margin + row) * opts.scale);
    for (let col = 0; col < size; col++) {
      if (modules[row * size + col] === 0) continue;
      const x0 = (opts.margin + col) * opts.scale;
      for (let x = x0; x < x0 + opts.scale; x++) {
        const at = first + 1 + (x >> 3);
        raw[at] = (raw[at] ?? 0) & ~(0x80 >> (x & 7));
      }
    }
  }
  return raw;
}

/** Wraps scanlines of a square 1-bit grayscale image in signature, IHDR, IDAT and IEND. */
function encodePng(side: number, raw: Buffer): Buffer {
  // IHDR (W3C PNG §11.2.2, RFC 2083 §4.1.1): width, height, bit depth 1,
  // colour type 0 (greyscale), compression 0, filter method 0, no interlace.
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([1, 0, 0, 0, 0], 8);
  // IDAT holds one zlib stream (W3C PNG §10, §11.2.4); IEND is empty (§11.2.5).
  const idat = deflateSync(raw, { level: DEFLATE_LEVEL });
  return Buffer.concat([SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", Buffer.alloc(0))]);
}

/** A chunk (W3C PNG §5.3, RFC 2083 §3.2): length, type, data, CRC of type and data. */
function chunk(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, "latin1");
  body.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

// CRC-32 table for the reflected polynomial 0xEDB88320 (W3C PNG §5.5 and
// Annex D, RFC 2083 §3.4). node:zlib exports crc32 only from Node 22.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG chunks carry it: register preset to all ones, result inverted (§5.5). */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
