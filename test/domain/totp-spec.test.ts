import { describe, expect, it } from "vitest";
import { resolveOtpSpec, type OtpSpecInput } from "../../src/domain/otp/index.js";

const DEFAULTS: OtpSpecInput = {
  kind: "totp",
  counter: 0n,
  algorithm: undefined,
  digits: 0,
  periodSeconds: 0,
  secret: new Uint8Array(0),
  issuer: "",
  accountName: "",
  tokenProfile: "software",
};

function fields(input: Partial<OtpSpecInput>): string[] {
  const r = resolveOtpSpec({ ...DEFAULTS, ...input });
  return r.ok ? [] : r.violations.map((v) => v.field);
}

describe("resolveOtpSpec for TOTP", () => {
  it("reads zero values as SHA1, 6 digits, 30 s and a generated secret", () => {
    const r = resolveOtpSpec(DEFAULTS);
    expect(r).toEqual({
      ok: true,
      spec: {
        kind: "totp",
        algorithm: "SHA1",
        digits: 6,
        periodSeconds: 30,
        counter: 0,
        importedSecret: undefined,
        issuer: "",
        accountName: "",
        tokenProfile: "software",
      },
    });
  });

  it("accepts 8 digits, 60 s and SHA512 in an app", () => {
    expect(fields({ digits: 8, periodSeconds: 60, algorithm: "SHA512", secret: new Uint8Array(64) })).toEqual([]);
  });

  it("refuses other digits and periods", () => {
    expect(fields({ digits: 7, periodSeconds: 45 })).toEqual(["digits", "period_seconds"]);
  });

  it("takes imported secrets of 16 to 64 bytes only", () => {
    expect(fields({ secret: new Uint8Array(15) })).toEqual(["secret"]);
    expect(fields({ secret: new Uint8Array(16) })).toEqual([]);
    expect(fields({ secret: new Uint8Array(64) })).toEqual([]);
    expect(fields({ secret: new Uint8Array(65) })).toEqual(["secret"]);
  });

  it("holds Nitrokey Pro and Storage to SHA1 and 40-byte secrets", () => {
    for (const tokenProfile of ["nitrokey_pro", "nitrokey_storage"] as const) {
      expect(fields({ tokenProfile, secret: new Uint8Array(40) })).toEqual([]);
      expect(fields({ tokenProfile, algorithm: "SHA256" })).toEqual(["algorithm"]);
      expect(fields({ tokenProfile, secret: new Uint8Array(41) })).toEqual(["secret"]);
    }
    expect(fields({ tokenProfile: "generic", algorithm: "SHA256", secret: new Uint8Array(64) })).toEqual([]);
  });
});
