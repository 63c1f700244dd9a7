import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAuditEvents } from "../../src/domain/audit/index.js";
import type { RequestMeta } from "../../src/domain/caller.js";
import { challenge, verifyLogin } from "../../src/domain/login/index.js";
import { createPgDb } from "../../src/store/pg.js";
import { FactorKind, FactorState, FailureReason, OtpAlgorithm, Provider, TokenProfile } from "../../src/gen/twofold/v1/types_pb.js";
import { createHarness, errorOf, serviceCaller, type Harness } from "../rpc/harness.js";
import { codeMatchingNone } from "../support/otp-codes.js";
import { enrolNitrokeyHotp, login, oathtoolHotp } from "./support.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.app.close();
});

const SECRET = "3132333435363738393031323334353637383930"; // RFC 4226 Appendix D
const SECRET_B = "a1b2c3d4e5f60718293a4b5c6d7e8f9001122334";

describe("HOTP enrolment", () => {
  it("returns an otpauth hotp URI with the starting counter and a QR code", async () => {
    const enrolled = await h.enrolment().enrol({
      userId: "uri-user",
      label: "Token",
      spec: { case: "hotp", value: { counter: 7n, digits: 8 } },
    });
    expect(enrolled.factor?.kind).toBe(FactorKind.HOTP);
    expect(enrolled.factor?.state).toBe(FactorState.PENDING);
    expect(enrolled.factor?.counter).toBe(7n);
    expect(enrolled.factor?.digits).toBe(8);
    if (enrolled.enrolment.case !== "otp") throw new Error("expected an OTP enrolment");
    const otp = enrolled.enrolment.value;
    expect(Buffer.from(otp.secretHex, "hex")).toHaveLength(20);
    const uri = new URL(otp.otpauthUri);
    expect(uri.host).toBe("hotp");
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: otp.secretBase32,
      issuer: "twofold-test",
      algorithm: "SHA1",
      digits: "8",
      counter: "7",
    });
    expect(otp.qrSvg.startsWith("<svg")).toBe(true);
    expect(Buffer.from(otp.qrPng.subarray(1, 4)).toString("latin1")).toBe("PNG");
  });

  it("confirms with the starting counter's code from oathtool and then expects the next counter", async () => {
    const enrolled = await h.enrolment().enrol({
      userId: "oath-user",
      label: "Token",
      spec: { case: "hotp", value: { secret: Buffer.from(SECRET_B, "hex"), counter: 3n } },
    });
    const factorId = enrolled.factor?.id ?? "";
    const confirmed = await h.enrolment().confirmEnrolment({ userId: "oath-user", factorId, proof: { case: "otpCode", value: oathtoolHotp(SECRET_B, 3) } });
    expect(confirmed.confirmed).toBe(true);
    expect(confirmed.factor?.counter).toBe(4n);
    const ok = await login(h, "oath-user", oathtoolHotp(SECRET_B, 4));
    expect(ok.verified).toBe(true);
    expect(ok.context?.provider).toBe(Provider.HOTP);
    expect(ok.context?.amr).toEqual(["otp", "swk", "mfa"]);
  });
});

describe("HOTP confirmation", () => {
  it("keeps the factor pending on a wrong code and refuses a pending factor at login", async () => {
    const enrolled = await h.enrolment().enrol({
      userId: "wrong-confirm",
      label: "Token",
      spec: { case: "hotp", value: { secret: Buffer.from(SECRET_B, "hex") } },
    });
    const factorId = enrolled.factor?.id ?? "";
    const right = oathtoolHotp(SECRET_B, 0);
    const wrong = codeMatchingNone({ at: h.clock.now(), hotp: [{ secretHex: SECRET_B, counter: 0 }] });
    const r = await h.enrolment().confirmEnrolment({ userId: "wrong-confirm", factorId, proof: { case: "otpCode", value: wrong } });
    expect(r).toMatchObject({ confirmed: false, reason: FailureReason.WRONG_CODE });
    expect(r.factor?.state).toBe(FactorState.PENDING);
    const ch = await h.auth().challenge({ userId: "wrong-confirm" });
    const e = await errorOf(h.auth().verify({ transactionId: ch.transactionId, proof: { case: "otp", value: { code: right, factorId } } }));
    expect(e.code).toBe(Code.FailedPrecondition);
    const ok = await h.enrolment().confirmEnrolment({ userId: "wrong-confirm", factorId, proof: { case: "otpCode", value: right } });
    expect(ok.confirmed).toBe(true);
    expect(ok.factor?.state).toBe(FactorState.ACTIVE);
  });
});

describe("HOTP login with a Nitrokey Pro", () => {
  it("is offered at Challenge and logs in with the token's codes, saying hwk", async () => {
    const { factorId, device } = await enrolNitrokeyHotp(h, "nk-user", SECRET);
    const ch = await h.auth().challenge({ userId: "nk-user" });
    expect(ch.secondFactorRequired).toBe(true);
    const hotp = ch.providers.find((p) => p.provider === Provider.HOTP);
    expect(hotp?.factors.map((f) => [f.id, f.counter, f.tokenProfile])).toEqual([[factorId, 1n, TokenProfile.NITROKEY_PRO]]);
    const r = await login(h, "nk-user", device.getHotpCode(1));
    expect(r.verified).toBe(true);
    expect(r.context?.factorId).toBe(factorId);
    expect(r.context?.amr).toEqual(["otp", "hwk", "mfa"]);
    expect(r.context?.driftSeconds).toBe(0);
    const listed = await h.enrolment().listFactors({ userId: "nk-user" });
    expect(listed.factors[0]?.counter).toBe(2n);
    expect(listed.factors[0]?.algorithm).toBe(OtpAlgorithm.SHA1);
  });

  it("accepts a code 10 counters ahead (look-ahead) and refuses one already passed", async () => {
    const { device } = await enrolNitrokeyHotp(h, "ahead-user", SECRET);
    for (let i = 0; i < 10; i++) device.getHotpCode(1); // pressed 10 times without logging in
    const code = device.getHotpCode(1); // counter 11: expected 1, look-ahead 10
    expect((await login(h, "ahead-user", code)).verified).toBe(true);
    const again = await login(h, "ahead-user", code);
    expect(again).toMatchObject({ verified: false, reason: FailureReason.REPLAYED });
    const older = await login(h, "ahead-user", oathtoolHotp(SECRET, 5));
    expect(older).toMatchObject({ verified: false, reason: FailureReason.REPLAYED });
    expect((await login(h, "ahead-user", device.getHotpCode(1))).verified).toBe(true);
  });

  it("asks for a resync 11+ counters ahead and accepts the next consecutive code", async () => {
    const { factorId, device } = await enrolNitrokeyHotp(h, "resync-user", SECRET);
    for (let i = 0; i < 400; i++) device.getHotpCode(1);
    const first = await login(h, "resync-user", device.getHotpCode(1));
    expect(first).toMatchObject({ verified: false, reason: FailureReason.RESYNC_NEEDED });
    const second = await login(h, "resync-user", device.getHotpCode(1));
    expect(second.verified).toBe(true);
    const listed = await h.enrolment().listFactors({ userId: "resync-user" });
    expect(listed.factors.find((f) => f.id === factorId)?.counter).toBe(device.getHotpCounter(1));
    expect((await login(h, "resync-user", device.getHotpCode(1))).verified).toBe(true);
  });

  it("recovers from the emulator's hotp-desync and refuses its hotp-replay fault", async () => {
    const { device } = await enrolNitrokeyHotp(h, "fault-user", SECRET);
    device.faults = { hotpDesyncSteps: 20 };
    expect(await login(h, "fault-user", device.getHotpCode(1))).toMatchObject({ reason: FailureReason.RESYNC_NEEDED });
    expect((await login(h, "fault-user", device.getHotpCode(1))).verified).toBe(true);
    device.faults = { hotpReplay: true };
    expect(await login(h, "fault-user", device.getHotpCode(1))).toMatchObject({ verified: false, reason: FailureReason.REPLAYED });
  });

  it("does not resync on two codes that are not consecutive", async () => {
    const { device } = await enrolNitrokeyHotp(h, "gap-user", SECRET);
    for (let i = 0; i < 50; i++) device.getHotpCode(1);
    expect(await login(h, "gap-user", device.getHotpCode(1))).toMatchObject({ reason: FailureReason.RESYNC_NEEDED });
    device.getHotpCode(1);
    expect(await login(h, "gap-user", device.getHotpCode(1))).toMatchObject({ reason: FailureReason.RESYNC_NEEDED });
  });

  it("refuses a code more than 1000 counters ahead as wrong", async () => {
    const { device } = await enrolNitrokeyHotp(h, "far-user", SECRET);
    expect(await login(h, "far-user", oathtoolHotp(SECRET, 1 + 1001 + 5))).toMatchObject({ reason: FailureReason.WRONG_CODE });
    expect((await login(h, "far-user", device.getHotpCode(1))).verified).toBe(true);
  });

  it("accepts a code once when two logins race on it", async () => {
    const { device } = await enrolNitrokeyHotp(h, "race-user", SECRET);
    const code = device.getHotpCode(1);
    const [a, b] = await Promise.all([h.auth().challenge({ userId: "race-user" }), h.auth().challenge({ userId: "race-user" })]);
    const results = await Promise.all(
      [a, b].map((ch) => h.auth().verify({ transactionId: ch.transactionId, proof: { case: "otp", value: { code, factorId: "" } } })),
    );
    expect(results.filter((r) => r.verified)).toHaveLength(1);
    expect(results.filter((r) => !r.verified).map((r) => r.reason)).toEqual([FailureReason.REPLAYED]);
  });

  it("accepts a code once when two replicas (separate pools) race on it", async () => {
    const { device } = await enrolNitrokeyHotp(h, "replica-user", SECRET);
    const replica = createPgDb({ url: h.app.dbUrl, poolSize: 2, statementTimeoutMs: 10_000 });
    try {
      const meta: RequestMeta = { caller: serviceCaller("acme"), clientIp: "", requestId: "r" };
      const deps2 = { ...h.app.deps, db: replica };
      const a = await challenge(h.app.deps, meta, { userId: "replica-user", userGroups: [] });
      const b = await challenge(deps2, meta, { userId: "replica-user", userGroups: [] });
      const code = device.getHotpCode(1);
      const results = await Promise.all([
        verifyLogin(h.app.deps, meta, { transactionId: a.transactionId, proof: { kind: "otp", code, factorId: undefined } }),
        verifyLogin(deps2, meta, { transactionId: b.transactionId, proof: { kind: "otp", code, factorId: undefined } }),
      ]);
      expect(results.filter((r) => r.verified)).toHaveLength(1);
      expect(results.flatMap((r) => (r.verified ? [] : [r.reason]))).toEqual(["replayed"]);
    } finally {
      await replica.close();
    }
  });

  it("audits the outcomes without the codes", async () => {
    const { device } = await enrolNitrokeyHotp(h, "audit-user", SECRET);
    const code = device.getHotpCode(1);
    await login(h, "audit-user", code);
    await login(h, "audit-user", code);
    const events = await readAuditEvents(h.app.db, "acme", { userId: "audit-user" });
    const kinds = events.map((e) => e.kind);
    expect(kinds).toContain("verify.succeeded");
    expect(kinds).toContain("verify.failed");
    expect(JSON.stringify(events)).not.toContain(code);
  });
});
