import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OtpAlgorithm, TokenProfile } from "../../src/gen/twofold/v1/types_pb.js";
import { createHarness, invalidFields, snapshot, type Harness } from "../rpc/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.app.close();
});

function enrolHotp(value: Record<string, unknown>, userId = "spec-user") {
  return h.enrolment().enrol({ userId, label: "Token", spec: { case: "hotp", value } });
}

describe("HOTP Enrol bad input", () => {
  it("refuses SHA256 and a 41-byte secret on a Nitrokey profile, naming each field, changing nothing", async () => {
    const before = await snapshot(h.app.db);
    expect(await invalidFields(enrolHotp({ algorithm: OtpAlgorithm.SHA256, tokenProfile: TokenProfile.NITROKEY_PRO }))).toEqual([
      "spec.hotp.algorithm",
    ]);
    expect(await invalidFields(enrolHotp({ secret: Buffer.alloc(41, 7), tokenProfile: TokenProfile.NITROKEY_STORAGE }))).toEqual([
      "spec.hotp.secret",
    ]);
    expect(await snapshot(h.app.db)).toEqual(before);
  });

  it("accepts on a generic token what a Nitrokey cannot hold", async () => {
    const r = await enrolHotp({ algorithm: OtpAlgorithm.SHA256, secret: Buffer.alloc(41, 7), tokenProfile: TokenProfile.GENERIC }, "generic-user");
    expect(r.factor?.algorithm).toBe(OtpAlgorithm.SHA256);
    expect(r.factor?.tokenProfile).toBe(TokenProfile.GENERIC);
  });

  it("names digits, secret, counter and unknown enums", async () => {
    const before = await snapshot(h.app.db);
    expect(await invalidFields(enrolHotp({ digits: 7, secret: Buffer.alloc(15), counter: 2n ** 60n }))).toEqual([
      "spec.hotp.digits",
      "spec.hotp.secret",
      "spec.hotp.counter",
    ]);
    expect(await invalidFields(enrolHotp({ algorithm: 9, tokenProfile: 42 }))).toEqual(["spec.hotp.algorithm", "spec.hotp.token_profile"]);
    expect(await invalidFields(enrolHotp({ issuer: "a:b" }, ""))).toEqual(["user_id", "spec.hotp.issuer"]);
    expect(await snapshot(h.app.db)).toEqual(before);
  });
});

describe("hardware TOTP profiles", () => {
  it("refuses SHA512 and a 41-byte secret on Nitrokey Pro, naming the fields", async () => {
    const fields = await invalidFields(
      h.enrolment().enrol({
        userId: "totp-nk",
        label: "NK",
        spec: { case: "totp", value: { algorithm: OtpAlgorithm.SHA512, secret: Buffer.alloc(41, 1), tokenProfile: TokenProfile.NITROKEY_PRO } },
      }),
    );
    expect(fields).toEqual(["spec.totp.algorithm", "spec.totp.secret"]);
  });
});
