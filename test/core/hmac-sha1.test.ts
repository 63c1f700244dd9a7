import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HmacSha1Counter } from "../../src/core/hmac-sha1.js";
import { seededRandom } from "../support/random.js";

/** node:crypto's HMAC-SHA-1 over the 8-byte big-endian counter, truncated as RFC 4226 §5.3 does: the oracle. */
function oracle(key: Uint8Array, counter: bigint): number {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(counter);
  const h = createHmac("sha1", key).update(message).digest();
  const o = (h[19] as number) & 0x0f;
  return h.readUInt32BE(o) & 0x7fffffff;
}

const split = (counter: bigint): [number, number] => [Number(counter >> 32n), Number(counter & 0xffffffffn)];

describe("HMAC-SHA-1 on precomputed pad blocks", () => {
  it("gives RFC 4226 appendix D's truncated values", () => {
    const hmac = new HmacSha1Counter(Buffer.from("12345678901234567890", "latin1"));
    const values = Array.from({ length: 10 }, (_, c) => hmac.truncated(0, c));
    expect(values).toEqual([
      1284755224, 1094287082, 137359152, 1726969429, 1640338314, 868254676, 1918287922, 82162583, 673399871, 645520489,
    ]);
  });

  it("agrees with node:crypto for keys of every length around the block size and counters past 32 bits", () => {
    const random = seededRandom("hmac-sha1");
    const lengths = [0, 1, 10, 16, 20, 32, 55, 63, 64, 65, 100, 128, 200];
    const counters = [0n, 1n, 255n, 0x7fffffffn, 0xffffffffn, 0x100000000n, 0x1234567890abn, 2n ** 53n - 1n, 2n ** 64n - 1n];
    let checked = 0;
    for (const length of lengths) {
      for (let k = 0; k < 8; k++) {
        const key = random.bytes(length);
        const hmac = new HmacSha1Counter(key);
        const more = Array.from({ length: 8 }, () => random.bytes(8).readBigUInt64BE());
        for (const counter of [...counters, ...more]) {
          expect(hmac.truncated(...split(counter)), `key ${key.toString("hex")} counter ${counter}`).toBe(oracle(key, counter));
          checked++;
        }
        hmac.wipe();
      }
    }
    expect(checked).toBe(lengths.length * 8 * 17);
  });

  it("leaves the caller's long key as it was", () => {
    const key = Buffer.alloc(100, 7);
    new HmacSha1Counter(key).wipe();
    expect(key.equals(Buffer.alloc(100, 7))).toBe(true);
  });
});
