import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { coreCounters, hotpCode, HOTP_STEPS_PER_VERIFY, TOTP_STEPS_PER_VERIFY, totpCode } from "../../src/core/index.js";
import { factorSecretAad } from "../../src/crypto/keyring.js";
import type { RequestMeta } from "../../src/domain/caller.js";
import { FixedClock } from "../../src/domain/clock.js";
import { confirmOtpEnrolment } from "../../src/domain/otp/index.js";
import { challenge, verifyLogin } from "../../src/domain/login/index.js";
import { admitAttempt, throttleState, waitAfterFailures } from "../../src/domain/throttle/index.js";
import { enrolHotp, enrolTotp } from "../support/otp.js";
import { createPgDb } from "../../src/store/pg.js";
import type { Db } from "../../src/store/db.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { codeMatchingNone } from "../support/otp-codes.js";

const T0 = new Date("2026-03-01T12:00:05Z");
const META: RequestMeta = { caller: { tenant: "t1", keyId: "k1", role: "service" }, clientIp: "198.51.100.4", requestId: "r" };
/** An HOTP secret (20 bytes, "hotp-recurs-00000350") under which counter 1's code recurs at counter 600. */
const RECURRING_HOTP_SECRET = "686f74702d7265637572732d3030303030333530";
const SPEC = { algorithm: undefined, digits: 0, periodSeconds: 0, secret: new Uint8Array(0), issuer: "", accountName: "", tokenProfile: "software" as const };

let app: TestApp;
let replica: Db;
let clock: FixedClock;

beforeAll(async () => {
  clock = new FixedClock(T0);
  app = await createTestApp({ clock });
  // A second service instance on the same database: its own pool, as another replica would have.
  replica = createPgDb({ url: app.dbUrl, poolSize: 5, statementTimeoutMs: 10_000 });
});
afterAll(async () => {
  await replica.close();
  await app.close();
});

function hotpAt(secretHex: string, counter: number): string {
  return hotpCode(Buffer.from(secretHex, "hex"), "SHA1", counter, 6);
}

function code(secretHex: string, at: Date): string {
  return totpCode(Buffer.from(secretHex, "hex"), "SHA1", 6, 30, Math.floor(at.getTime() / 1000));
}

async function activeFactor(userId: string): Promise<{ secretHex: string; factorId: string }> {
  clock.set(T0);
  const { factor, enrolment } = await enrolTotp(app.deps, META, { userId, label: "Phone", spec: SPEC });
  const confirmed = await confirmOtpEnrolment(app.deps, META, { userId, factorId: factor.id, code: code(enrolment.secretHex, T0) });
  expect(confirmed.confirmed).toBe(true);
  return { secretHex: enrolment.secretHex, factorId: factor.id };
}

describe("login across replicas", () => {
  it("accepts a code once when two replicas race on it", async () => {
    const { secretHex } = await activeFactor("two-replicas");
    clock.advance(60_000);
    const deps2: AppDeps = { ...app.deps, db: replica };
    const a = await challenge(app.deps, META, { userId: "two-replicas", userGroups: [] });
    const b = await challenge(deps2, META, { userId: "two-replicas", userGroups: [] });
    const c = code(secretHex, clock.now());
    const results = await Promise.all([
      verifyLogin(app.deps, META, { transactionId: a.transactionId, proof: { kind: "otp", code: c, factorId: undefined } }),
      verifyLogin(deps2, META, { transactionId: b.transactionId, proof: { kind: "otp", code: c, factorId: undefined } }),
    ]);
    expect(results.filter((r) => r.verified)).toHaveLength(1);
    expect(results.filter((r) => !r.verified).map((r) => (r.verified ? "" : r.reason))).toEqual(["replayed"]);
  });

  it("confirms an enrolment once when two replicas race on the proving code", async () => {
    clock.set(T0);
    const { factor, enrolment } = await enrolTotp(app.deps, META, { userId: "confirm-race", label: "Phone", spec: SPEC });
    const c = code(enrolment.secretHex, T0);
    // The loser either lost the activation (confirmed: false, replayed) or read
    // the factor after the winner committed (ALREADY_CONFIRMED); either replica may win.
    const lost = (err: unknown) => ({ confirmed: false as const, error: err });
    const results = await Promise.all([
      confirmOtpEnrolment(app.deps, META, { userId: "confirm-race", factorId: factor.id, code: c }).catch(lost),
      confirmOtpEnrolment({ ...app.deps, db: replica }, META, { userId: "confirm-race", factorId: factor.id, code: c }).catch(lost),
    ]);
    expect(results.filter((r) => r.confirmed)).toHaveLength(1);
    for (const r of results) if ("error" in r) expect((r.error as { details?: { reason?: string } }).details?.reason).toBe("ALREADY_CONFIRMED");
  });
});

describe("throttle admission", () => {
  it("admits at most 5 of 20 simultaneous attempts before making them wait", async () => {
    clock.set(T0);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => admitAttempt({ db: i % 2 === 0 ? app.db : replica, clock }, "t1", "stampede")),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(5);
    expect((await throttleState(app.deps, "t1", "stampede")).failures).toBe(5);
  });

  it("stores the wait waitAfterFailures describes", async () => {
    clock.set(T0);
    for (let n = 1; n <= 17; n++) {
      await admitAttempt({ db: app.db, clock }, "t1", "stepper");
      const state = await throttleState(app.deps, "t1", "stepper");
      expect(state.failures).toBe(n);
      const wait = state.blockedUntil === undefined ? 0 : state.blockedUntil.getTime() - clock.now().getTime();
      expect(wait).toBe(waitAfterFailures(n));
      clock.advance(wait);
    }
  });
});

describe("constant work at Verify", () => {
  // The HMACs one Verify computed, and its outcome ("verified" or the refusal).
  async function workFor(userId: string, c: string, factorId?: string): Promise<[number, string]> {
    const ch = await challenge(app.deps, META, { userId, userGroups: [] });
    const before = coreCounters.hmacs;
    const result = await verifyLogin(app.deps, META, { transactionId: ch.transactionId, proof: { kind: "otp", code: c, factorId } });
    return [coreCounters.hmacs - before, result.verified ? "verified" : result.reason];
  }

  async function hmacsFor(userId: string, c: string, factorId?: string): Promise<number> {
    return (await workFor(userId, c, factorId))[0];
  }

  it("computes the same number of HMACs for a match, a miss and a user without factors", async () => {
    const { secretHex } = await activeFactor("worker");
    clock.advance(120_000);
    const right = code(secretHex, clock.now());
    const wrong = codeMatchingNone({ at: clock.now(), totp: [{ secretHex }] });
    // Only the TOTP window runs for a user without HOTP factors.
    expect(await hmacsFor("worker", wrong)).toBe(TOTP_STEPS_PER_VERIFY);
    expect(await hmacsFor("nobody-at-all", right)).toBe(TOTP_STEPS_PER_VERIFY);
    expect(await hmacsFor("worker", right)).toBe(TOTP_STEPS_PER_VERIFY);
  });

  it("does the TOTP window alone for an unknown user, a user without factors and a TOTP-only user, whatever the code", async () => {
    const { secretHex } = await activeFactor("totp-only");
    await enrolTotp(app.deps, META, { userId: "pending-only", label: "Phone", spec: SPEC });
    clock.advance(90_000);
    const right = code(secretHex, clock.now());
    const wrong = codeMatchingNone({ at: clock.now(), totp: [{ secretHex }] });
    const n = TOTP_STEPS_PER_VERIFY;
    for (const userId of ["nobody-here", "pending-only"]) {
      expect([await workFor(userId, wrong), await workFor(userId, right), await workFor(userId, right)]).toEqual([
        [n, "wrong_code"],
        [n, "wrong_code"],
        [n, "wrong_code"],
      ]);
    }
    expect([await workFor("totp-only", wrong), await workFor("totp-only", right), await workFor("totp-only", right)]).toEqual([
      [n, "wrong_code"],
      [n, "verified"],
      [n, "replayed"],
    ]);
  });

  it("does the TOTP and the HOTP window for a user with an HOTP factor, whatever the code", async () => {
    clock.set(T0);
    const hotpSpec = { ...SPEC, counter: 0n };
    const { factor, enrolment } = await enrolHotp(app.deps, META, { userId: "hotp-user", label: "Token", spec: hotpSpec });
    const confirmed = await confirmOtpEnrolment(app.deps, META, { userId: "hotp-user", factorId: factor.id, code: hotpAt(enrolment.secretHex, 0) });
    expect(confirmed.confirmed).toBe(true);
    const perProof = TOTP_STEPS_PER_VERIFY + HOTP_STEPS_PER_VERIFY;
    const right = hotpAt(enrolment.secretHex, 1);
    const wrong = codeMatchingNone({ at: clock.now(), hotp: [{ secretHex: enrolment.secretHex, counter: 1 }] });
    expect(await workFor("hotp-user", wrong)).toEqual([perProof, "wrong_code"]);
    expect(await workFor("hotp-user", right)).toEqual([perProof, "verified"]);
    expect(await workFor("hotp-user", right)).toEqual([perProof, "replayed"]);
    // Named, the HOTP factor still costs the dummy TOTP window as well.
    expect(await workFor("hotp-user", hotpAt(enrolment.secretHex, 2), factor.id)).toEqual([perProof, "verified"]);
  });

  it("answers replayed for a used HOTP code that the token shows again 599 counters on, and remembers no resync", async () => {
    // Counter 1's code recurs at counter 600 under this secret (checked below): a used
    // code that also sits in the resync range is a replay, not a resync candidate.
    expect(hotpAt(RECURRING_HOTP_SECRET, 1)).toBe(hotpAt(RECURRING_HOTP_SECRET, 600));
    clock.set(T0);
    const spec = { ...SPEC, secret: Buffer.from(RECURRING_HOTP_SECRET, "hex"), counter: 0n };
    const { factor } = await enrolHotp(app.deps, META, { userId: "recurring", label: "Token", spec });
    expect((await confirmOtpEnrolment(app.deps, META, { userId: "recurring", factorId: factor.id, code: hotpAt(RECURRING_HOTP_SECRET, 0) })).confirmed).toBe(true);
    const right = hotpAt(RECURRING_HOTP_SECRET, 1);
    const perProof = TOTP_STEPS_PER_VERIFY + HOTP_STEPS_PER_VERIFY;
    expect(await workFor("recurring", right)).toEqual([perProof, "verified"]);
    expect(await workFor("recurring", right)).toEqual([perProof, "replayed"]);
    const stored = await app.db.query<{ resync_step: number | null }>("SELECT resync_step FROM factors WHERE id = $1::uuid", [factor.id]);
    expect(stored.rows[0]?.resync_step).toBeNull();
    expect(await workFor("recurring", hotpAt(RECURRING_HOTP_SECRET, 2))).toEqual([perProof, "verified"]);
  });

  it("does the HOTP work for a user with TOTP and HOTP factors even when TOTP accepts the code", async () => {
    const { secretHex } = await activeFactor("both-kinds");
    const hotpSpec = { ...SPEC, counter: 0n };
    const { factor, enrolment } = await enrolHotp(app.deps, META, { userId: "both-kinds", label: "Token", spec: hotpSpec });
    const confirmed = await confirmOtpEnrolment(app.deps, META, { userId: "both-kinds", factorId: factor.id, code: hotpAt(enrolment.secretHex, 0) });
    expect(confirmed.confirmed).toBe(true);
    clock.advance(60_000);
    const right = code(secretHex, clock.now());
    const wrong = codeMatchingNone({ at: clock.now(), totp: [{ secretHex }], hotp: [{ secretHex: enrolment.secretHex, counter: 1 }] });
    const perProof = TOTP_STEPS_PER_VERIFY + HOTP_STEPS_PER_VERIFY;
    expect(await workFor("both-kinds", wrong)).toEqual([perProof, "wrong_code"]);
    expect(await workFor("both-kinds", right)).toEqual([perProof, "verified"]);
    expect(await workFor("both-kinds", right)).toEqual([perProof, "replayed"]);
  });

  it("does the TOTP window alone for a proof naming a TOTP factor or an unknown factor", async () => {
    const { secretHex, factorId } = await activeFactor("named-totp");
    clock.advance(60_000);
    const right = code(secretHex, clock.now());
    expect(await workFor("named-totp", right, "no-such-factor")).toEqual([TOTP_STEPS_PER_VERIFY, "unknown_factor"]);
    expect(await workFor("named-totp", right, factorId)).toEqual([TOTP_STEPS_PER_VERIFY, "verified"]);
  });
});

describe("secrets at rest", () => {
  it("stores the secret sealed and bound to its tenant, user and factor", async () => {
    const { secretHex, factorId } = await activeFactor("sealed-user");
    const row = await app.db.query<{ secret_sealed: Buffer }>(
      `SELECT secret_sealed FROM factors WHERE tenant_id = 't1' AND user_id = 'sealed-user' AND id = $1::uuid`,
      [factorId],
    );
    const sealed = row.rows[0]?.secret_sealed ?? Buffer.alloc(0);
    expect(sealed.includes(Buffer.from(secretHex, "hex"))).toBe(false);
    expect(app.deps.keyring.open(sealed, factorSecretAad("t1", "sealed-user", factorId)).toString("hex")).toBe(secretHex);
    expect(() => app.deps.keyring.open(sealed, factorSecretAad("t1", "other-user", factorId))).toThrow();
    expect(() => app.deps.keyring.open(sealed, factorSecretAad("t2", "sealed-user", factorId))).toThrow();
  });
});
