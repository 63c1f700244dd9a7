// Sections cited below are those of ISO/IEC 18004:2015 (QR Code).
import QRCode, { type QRCodeErrorCorrectionLevel } from "qrcode";

/** A QR symbol's modules, row by row: 1 dark, 0 light. */
export interface QrMatrix {
  size: number;
  data: Uint8Array;
}

/**
 * The QR symbol of `bytes` (one byte-mode segment), the same symbol qrcode
 * builds on its own, module for module, but with its mask search done here.
 *
 * The encoder must try the eight data masks and keep the one whose symbol
 * scores the lowest penalty (§7.8.3); the score here is qrcode's reading of
 * the rules (below), so that the symbol stays the one qrcode would make. qrcode does so by masking, scoring and
 * unmasking the whole matrix eight times through per-module method calls and
 * a switch on the pattern; that was about 30 % of the server's CPU while users
 * enrolled. Here qrcode builds the symbol once with mask 0; the data modules
 * are unmasked, and each candidate is written into one scratch matrix (four
 * modules per XOR) and scored a row and a column at a time from lookup
 * tables, by the same rules as qrcode's scoring (including how it reads
 * them), so the choice, first lowest score on a tie, is the one qrcode would
 * make. The tests check that against qrcode for every version and
 * error-correction level.
 */
export function qrMatrix(bytes: Buffer, errorCorrectionLevel: QRCodeErrorCorrectionLevel): QrMatrix {
  const level = FORMAT_LEVEL_BITS[errorCorrectionLevel];
  // qrcode would read an unknown spelling as its default level, and the format bits would then disagree.
  if (level === undefined) throw new Error(`unknown QR error-correction level ${String(errorCorrectionLevel)}`);
  const { modules } = QRCode.create([{ data: bytes, mode: "byte" }], { errorCorrectionLevel, maskPattern: 0 });
  const { size, data: masked0, reservedBit } = modules as typeof modules & { reservedBit: Uint8Array };
  // Modules as bytes in 32-bit words, so a mask is applied four modules at a time.
  const count = size * size;
  const words = (count + 3) >> 2;
  const { flips, format } = layoutFor(size, reservedBit);
  // The data modules without mask 0 (applying a mask twice removes it).
  const plain = new Uint32Array(words);
  new Uint8Array(plain.buffer).set(masked0);
  const flip0 = flips[0] as Uint32Array;
  for (let i = 0; i < words; i++) plain[i] = (plain[i] as number) ^ (flip0[i] as number);
  const candidate = new Uint32Array(words);
  const modulesOut = new Uint8Array(candidate.buffer, 0, count);
  let best = 0;
  let lowest = Infinity;
  for (let mask = 0; mask < 8; mask++) {
    writeMasked(candidate, modulesOut, plain, flips[mask] as Uint32Array, size, formatBits(level, mask), format);
    const penalty = penaltyScore(modulesOut, size);
    if (penalty < lowest) {
      lowest = penalty;
      best = mask;
    }
  }
  writeMasked(candidate, modulesOut, plain, flips[best] as Uint32Array, size, formatBits(level, best), format);
  return { size, data: modulesOut };
}

/** What depends on the symbol size alone: which modules each mask inverts, and where the format bits go. */
interface Layout {
  /** Per mask, byte 1 where it inverts the module (a data module, not reserved, that the mask's condition selects), as words. */
  flips: Uint32Array[];
  format: Array<[number, number]>;
}

// A version fixes the size and the function patterns, so one layout per size serves every symbol of it.
const layouts = new Map<number, Layout>();

function layoutFor(size: number, reserved: Uint8Array): Layout {
  let layout = layouts.get(size);
  if (layout === undefined) {
    const flips: Uint32Array[] = [];
    for (let mask = 0; mask < 8; mask++) {
      const words = new Uint32Array((size * size + 3) >> 2);
      const flip = new Uint8Array(words.buffer);
      for (let row = 0; row < size; row++) {
        for (let col = 0; col < size; col++) {
          const i = row * size + col;
          flip[i] = reserved[i] === 0 && maskBit(mask, row, col) ? 1 : 0;
        }
      }
      flips.push(words);
    }
    layout = { flips, format: formatPositions(size) };
    layouts.set(size, layout);
  }
  return layout;
}

/** The error-correction level's two format bits (§7.9.1, Table 12). */
const FORMAT_LEVEL_BITS: Record<QRCodeErrorCorrectionLevel, number> = {
  L: 0b01,
  low: 0b01,
  M: 0b00,
  medium: 0b00,
  Q: 0b11,
  quartile: 0b11,
  H: 0b10,
  high: 0b10,
};

/**
 * The 15 format information bits (§7.9.1): level and mask, a BCH(15,5) code
 * with generator x^10 + x^8 + x^5 + x^4 + x^2 + x + 1, XOR 101010000010010.
 */
function formatBits(level: number, mask: number): number {
  const value = (level << 3) | mask;
  let rem = value << 10;
  for (let bit = 14; bit >= 10; bit--) if ((rem >> bit) & 1) rem ^= 0x537 << (bit - 10);
  return ((value << 10) | rem) ^ 0x5412;
}

/**
 * Where bit i of the format information goes, twice (§7.9.1, Figure 25): in
 * column 8 (top left, then bottom left) and in row 8 (top right, then top
 * left), as qrcode places it.
 */
function formatPositions(size: number): Array<[number, number]> {
  const at: Array<[number, number]> = [];
  for (let i = 0; i < 15; i++) {
    const vertical = i < 6 ? i : i < 8 ? i + 1 : size - 15 + i;
    const horizontal = i < 8 ? size - i - 1 : i < 9 ? 15 - i : 14 - i;
    at.push([vertical * size + 8, 8 * size + horizontal]);
  }
  return at;
}

/** Data masks (§7.8.2, Table 10): true where module (i row, j column) is inverted. */
function maskBit(mask: number, i: number, j: number): boolean {
  switch (mask) {
    case 0:
      return (i + j) % 2 === 0;
    case 1:
      return i % 2 === 0;
    case 2:
      return j % 3 === 0;
    case 3:
      return (i + j) % 3 === 0;
    case 4:
      return (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0;
    case 5:
      return ((i * j) % 2) + ((i * j) % 3) === 0;
    case 6:
      return (((i * j) % 2) + ((i * j) % 3)) % 2 === 0;
    default:
      return (((i * j) % 3) + ((i + j) % 2)) % 2 === 0;
  }
}

/** `out` (`bytes` its modules) = the symbol with a mask's `flip` applied to the data modules and its format `bits` written. */
function writeMasked(
  out: Uint32Array,
  bytes: Uint8Array,
  plain: Uint32Array,
  flip: Uint32Array,
  size: number,
  bits: number,
  format: Array<[number, number]>,
): void {
  for (let i = 0; i < out.length; i++) out[i] = (plain[i] as number) ^ (flip[i] as number);
  for (let i = 0; i < 15; i++) {
    const [v, h] = format[i] as [number, number];
    const bit = (bits >> i) & 1;
    bytes[v] = bit;
    bytes[h] = bit;
  }
  // The dark module beside the bottom-left finder (§7.9.1).
  bytes[(size - 8) * size + 8] = 1;
}

/**
 * The penalty score of a masked symbol (§7.8.3.1, Table 11), computed as
 * qrcode computes it: N1 = 3 + (run − 5) per run of five or more same-colour
 * modules in a row or column; N2 = 3 per 2×2 block of one colour (blocks
 * overlapping); N3 = 40 per 11-module window in a row or column reading
 * 10111010000 or 00001011101; N4 = 10 × |⌈dark % / 5⌉ − 10| (qrcode's form:
 * a share just over 50 % already scores 10, where the standard's table
 * scores 0 from 45 % to 55 %).
 */
function penaltyScore(m: Uint8Array, size: number): number {
  let points = 0;
  let blocks = 0;
  let dark = 0;
  for (let a = 0; a < size; a++) {
    points += lineScore(m, a * size, 1, size) + lineScore(m, a, size, size);
    const at = a * size;
    dark += m[at] as number;
    for (let col = 1; col < size; col++) {
      const v = m[at + col] as number;
      dark += v;
      if (a > 0) blocks += SAME_BLOCK[v + (m[at + col - 1] as number) + (m[at - size + col] as number) + (m[at - size + col - 1] as number)] as number;
    }
  }
  return points + blocks * 3 + Math.abs(Math.ceil((dark * 100) / (size * size) / 5) - 10) * 10;
}

/** 1 for a 2×2 block of four light or four dark modules, by its count of dark ones. */
const SAME_BLOCK = Uint8Array.of(1, 0, 0, 0, 1);

/**
 * N1 and N3 of one row or column (`size` modules from `start`, `step` apart).
 * A run of L ≥ 5 scores L − 2, which is one point per module ending five
 * alike (L − 4 of them) plus two where such a five starts the run. So each
 * module's score depends on the last eleven modules alone, read from a
 * table: no branch on the data, which (random as it is) made a run counter's
 * branches most of the time.
 */
function lineScore(m: Uint8Array, start: number, step: number, size: number): number {
  let window = 0;
  let points = 0;
  let at = start;
  for (let k = 0; k < 10; k++, at += step) {
    window = (window << 1) | (m[at] as number);
    if (k === 4) points += FIRST_FIVE[window & 0x1f] as number;
    else if (k > 4) points += WINDOW_SCORE_NO_N3[window & 0x3f] as number;
  }
  for (let k = 10; k < size; k++, at += step) {
    window = ((window << 1) & 0x7ff) | (m[at] as number);
    points += WINDOW_SCORE[window] as number;
  }
  return points;
}

/** Five alike as the first five modules: they start a run, 1 + 2. */
const FIRST_FIVE = Uint8Array.from({ length: 32 }, (_, w) => (w === 0 || w === 0x1f ? 3 : 0));

/** The N1 part for a module, from the six modules ending at it (the newest in bit 0). */
function runPart(w: number): number {
  const five = w & 0x1f;
  if (five !== 0 && five !== 0x1f) return 0;
  return ((w >> 5) & 1) !== (w & 1) ? 3 : 1;
}

const WINDOW_SCORE_NO_N3 = Uint8Array.from({ length: 64 }, (_, w) => runPart(w));

/** A module's N1 and N3 points from the eleven modules ending at it. */
const WINDOW_SCORE = Uint8Array.from({ length: 2048 }, (_, w) => runPart(w) + (w === 0x5d0 || w === 0x05d ? 40 : 0));
