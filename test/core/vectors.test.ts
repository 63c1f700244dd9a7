import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { hotpCode, totpCode, type OtpAlgorithm, type OtpDigits, type TotpPeriod } from "../../src/core/index.js";

interface HotpVector {
  counter: number;
  algorithm: OtpAlgorithm;
  secret_hex: string;
  digits: OtpDigits;
  code: string;
}
interface TotpVector {
  time: number;
  algorithm: OtpAlgorithm;
  secret_hex: string;
  digits: OtpDigits;
  period: TotpPeriod;
  code: string;
}

const VECTORS = JSON.parse(readFileSync(new URL("./fixtures/otp-rfc.json", import.meta.url), "utf8")) as {
  hotp: HotpVector[];
  totp: TotpVector[];
};

describe("RFC test vectors", () => {
  it("has vectors to check", () => {
    expect(VECTORS.hotp.length).toBe(10);
    expect(VECTORS.totp.length).toBe(18);
  });

  it.each(VECTORS.hotp)("computes RFC 4226 HOTP $counter as $code", (v) => {
    expect(hotpCode(Buffer.from(v.secret_hex, "hex"), v.algorithm, v.counter, v.digits)).toBe(v.code);
  });

  it.each(VECTORS.totp)("computes RFC 6238 TOTP $algorithm at $time as $code", (v) => {
    expect(totpCode(Buffer.from(v.secret_hex, "hex"), v.algorithm, v.digits, v.period, v.time)).toBe(v.code);
  });
});
