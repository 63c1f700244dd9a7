import type { Random } from "../random.js";

/**
 * Crockford base32 (https://www.crockford.com/base32.html) for codes people
 * type: no I, L, O or U, so nothing reads as another symbol. Shared by backup
 * codes and app passwords, which are both shown to people once and typed back.
 */
export const CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * `length` symbols drawn uniformly from `random`: each byte's low five bits
 * pick a symbol, and 256 is a multiple of 32, so there is no modulo bias.
 */
export function randomCrockford(random: Random, length: number): string {
  const bytes = random.bytes(length);
  let out = "";
  for (let i = 0; i < length; i++) out += CROCKFORD_ALPHABET[(bytes[i] ?? 0) & 0x1f];
  return out;
}

/** Splits `symbols` into dash-joined groups of `size`, the form shown to people. */
export function groupSymbols(symbols: string, size: number): string {
  const groups: string[] = [];
  for (let i = 0; i < symbols.length; i += size) groups.push(symbols.slice(i, i + size));
  return groups.join("-");
}

const VALID = /^[0-9A-HJKMNP-TV-Z]+$/;

/**
 * The canonical form of a typed code, or undefined when it cannot be one.
 *
 * Crockford decoding: ASCII letters fold to upper case, spaces and dashes are
 * dropped, O reads as 0, I and L as 1. Only ASCII is folded: `toUpperCase`
 * would turn dotless ı into I or long ſ into S and widen what matches. After
 * that the input must be exactly `length` alphabet symbols (U is not one).
 */
export function normaliseCrockford(input: string, length: number): string | undefined {
  const folded = input
    .replace(/[a-z]/g, (c) => c.toUpperCase())
    .replace(/[ -]/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  if (folded.length !== length || !VALID.test(folded)) return undefined;
  return folded;
}
