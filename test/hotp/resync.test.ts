import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { readAuditEvents } from "../../src/domain/audit/index.js";
import { FREE_FAILURES } from "../../src/domain/throttle/index.js";
import { FailureReason, TokenProfile } from "../../src/gen/twofold/v1/types_pb.js";
import { createHarness, errorOf, invalidFields, retryDelayMs, snapshot, T0, type Harness } from "../rpc/harness.js";
import { enrolNitrokeyHotp, login, nitrokeyWith, oathtoolHotp } from "./support.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.app.close();
});

const SECRET = "3132333435363738393031323334353637383930";
const TWO_HOURS_S = 2 * 3600;

describe("ResyncFactor for HOTP", () => {
  it("re-aligns the counter on two consecutive codes far ahead, then logs in", async () => {
    const { factorId, device } = await enrolNitrokeyHotp(h, "hotp-resync", SECRET);
    for (let i = 0; i < 700; i++) device.getHotpCode(1);
    const code1 = device.getHotpCode(1);
    const code2 = device.getHotpCode(1);
    const r = await h.enrolment().resyncFactor({ userId: "hotp-resync", factorId, code1, code2 });
    expect(r.resynced).toBe(true);
    expect(r.factor?.counter).toBe(device.getHotpCounter(1));
    expect((await login(h, "hotp-resync", device.getHotpCode(1))).verified).toBe(true);
  });

  it("burns the resync pair: the same two codes do not resync twice, nor log in", async () => {
    const { factorId, device } = await enrolNitrokeyHotp(h, "hotp-burn", SECRET);
    for (let i = 0; i < 30; i++) device.getHotpCode(1);
    const code1 = device.getHotpCode(1);
    const code2 = device.getHotpCode(1);
    expect((await h.enrolment().resyncFactor({ userId: "hotp-burn", factorId, code1, code2 })).resynced).toBe(true);
    const again = await h.enrolment().resyncFactor({ userId: "hotp-burn", factorId, code1, code2 });
    expect(again).toMatchObject({ resynced: false, reason: FailureReason.WRONG_CODE });
    expect(await login(h, "hotp-burn", code2)).toMatchObject({ verified: false, reason: FailureReason.REPLAYED });
  });

  it("refuses codes that are not consecutive, or beyond 1000 ahead, changing nothing", async () => {
    const { factorId } = await enrolNitrokeyHotp(h, "hotp-norsync", SECRET);
    const apart = await h.enrolment().resyncFactor({
      userId: "hotp-norsync",
      factorId,
      code1: oathtoolHotp(SECRET, 100),
      code2: oathtoolHotp(SECRET, 102),
    });
    expect(apart).toMatchObject({ resynced: false, reason: FailureReason.WRONG_CODE });
    const far = await h.enrolment().resyncFactor({
      userId: "hotp-norsync",
      factorId,
      code1: oathtoolHotp(SECRET, 1 + 1001 + 3),
      code2: oathtoolHotp(SECRET, 1 + 1001 + 4),
    });
    expect(far).toMatchObject({ resynced: false, reason: FailureReason.WRONG_CODE });
    expect(far.factor?.counter).toBe(1n);
    const events = await readAuditEvents(h.app.db, "acme", { userId: "hotp-norsync" });
    expect(events.filter((e) => e.kind === "factor.resync_failed")).toHaveLength(2);
  });
});

describe("ResyncFactor for a hardware TOTP token", () => {
  it("re-learns a token clock two hours off and logs in with the drift reported", async () => {
    h.clock.set(T0);
    const user = "totp-resync";
    const device = nitrokeyWith(SECRET, { totp: true });
    const nowS = () => Math.floor(h.clock.now().getTime() / 1000);
    device.setTime(nowS());
    const enrolled = await h.enrolment().enrol({
      userId: user,
      label: "Nitrokey TOTP",
      spec: { case: "totp", value: { secret: Buffer.from(SECRET, "hex"), tokenProfile: TokenProfile.NITROKEY_PRO } },
    });
    const factorId = enrolled.factor?.id ?? "";
    expect((await h.enrolment().confirmEnrolment({ userId: user, factorId, proof: { case: "otpCode", value: device.getTotpCode(1) } })).confirmed).toBe(true);

    // The token's host stops setting its clock right; it now runs two hours ahead.
    h.clock.advance(60_000);
    device.setTime(nowS() + TWO_HOURS_S);
    const refused = await login(h, user, device.getTotpCode(1));
    expect(refused).toMatchObject({ verified: false, reason: FailureReason.WRONG_CODE });

    const code1 = device.getTotpCode(1);
    h.clock.advance(30_000);
    device.setTime(nowS() + TWO_HOURS_S);
    const code2 = device.getTotpCode(1);
    const r = await h.enrolment().resyncFactor({ userId: user, factorId, code1, code2 });
    expect(r.resynced).toBe(true);
    expect(r.factor?.driftSeconds).toBe(TWO_HOURS_S);

    // code2's step is burnt; the next step logs in and reports the drift.
    expect(await login(h, user, code2)).toMatchObject({ verified: false, reason: FailureReason.REPLAYED });
    h.clock.advance(30_000);
    device.setTime(nowS() + TWO_HOURS_S);
    const ok = await login(h, user, device.getTotpCode(1));
    expect(ok.verified).toBe(true);
    expect(ok.context?.driftSeconds).toBe(TWO_HOURS_S);
    expect(ok.context?.amr).toEqual(["otp", "hwk", "mfa"]);
  });
});

describe("ResyncFactor refusals", () => {
  it("answers NOT_FOUND for an unknown factor and FAILED_PRECONDITION for a pending one", async () => {
    const unknown = await errorOf(
      h.enrolment().resyncFactor({ userId: "nobody", factorId: "00000000-0000-4000-8000-000000000000", code1: "123456", code2: "234567" }),
    );
    expect(unknown.code).toBe(Code.NotFound);
    const pending = await h.enrolment().enrol({ userId: "pending-resync", label: "T", spec: { case: "hotp", value: {} } });
    const e = await errorOf(
      h.enrolment().resyncFactor({ userId: "pending-resync", factorId: pending.factor?.id ?? "", code1: "123456", code2: "234567" }),
    );
    expect(e.code).toBe(Code.FailedPrecondition);
  });

  it("counts wrong pairs toward the user's throttle", async () => {
    const { factorId } = await enrolNitrokeyHotp(h, "throttled-resync", SECRET);
    for (let i = 0; i < FREE_FAILURES; i++) {
      const r = await h.enrolment().resyncFactor({ userId: "throttled-resync", factorId, code1: "000000", code2: "000001" });
      expect(r.resynced).toBe(false);
    }
    expect(await retryDelayMs(h.enrolment().resyncFactor({ userId: "throttled-resync", factorId, code1: "000000", code2: "000001" }))).toBeGreaterThan(0);
  });
});

describe("ResyncFactor bad input", () => {
  it("names code1 and code2 when they are not 6 or 8 digits, changing nothing", async () => {
    const { factorId } = await enrolNitrokeyHotp(h, "bad-resync", SECRET);
    const before = await snapshot(h.app.db);
    expect(await invalidFields(h.enrolment().resyncFactor({ userId: "bad-resync", factorId, code1: "12345", code2: "12a456" }))).toEqual([
      "code1",
      "code2",
    ]);
    expect(await invalidFields(h.enrolment().resyncFactor({ userId: "", factorId: "nope", code1: "123456", code2: "1234567" }))).toEqual([
      "user_id",
      "factor_id",
      "code2",
    ]);
    expect(await invalidFields(h.enrolment().resyncFactor({ userId: "bad-resync", factorId, code1: "123456", code2: "12345678" }))).toEqual([
      "code2",
    ]);
    expect(await snapshot(h.app.db)).toEqual(before);
  });
});
