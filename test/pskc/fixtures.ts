import { readFileSync } from "node:fs";
import { join } from "node:path";

const dir = join(import.meta.dirname, "../fixtures/pskc");

/** The sample containers and the seeds they hold (test/fixtures/pskc/generate.ts writes them). */
export const PLAIN_FILE = join(dir, "tokens-plain.pskcxml");
export const PSK_FILE = join(dir, "tokens-psk.pskcxml");
export const PLAIN = readFileSync(PLAIN_FILE, "utf8");
export const ENCRYPTED = readFileSync(PSK_FILE, "utf8");
export const SEEDS = JSON.parse(readFileSync(join(dir, "seeds.json"), "utf8")) as {
  preSharedKeyHex: string;
  macKeyHex: string;
  plain: Record<string, string>;
  psk: Record<string, string>;
};
export const PSK = Buffer.from(SEEDS.preSharedKeyHex, "hex");

/** The container with one base64 value's byte flipped: the n-th `<tag>…</tag>` of the file. */
export function flipByteIn(source: string, tag: string, n = 0): string {
  const re = new RegExp(`<${tag}>([^<]+)</${tag}>`, "g");
  let i = 0;
  return source.replace(re, (whole, b64: string) => {
    if (i++ !== n) return whole;
    const bytes = Buffer.from(b64, "base64");
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01;
    return `<${tag}>${bytes.toString("base64")}</${tag}>`;
  });
}
