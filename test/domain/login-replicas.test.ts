import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { coreCounters, HOTP_STEPS_PER_VERIFY, TOTP_STEPS_PER_VERIFY, totpCode } from "../../src/core/index.js";
import { factorSecretAad } from "../../src/crypto/keyring.js";
import type { RequestMeta } from "../../src/domain/caller.js";
import { FixedClock } from "../../src/domain/clock.js";
import { challenge, verifyLogin } from "../../src/domain/login/index.js";
import { admitAttempt, throttleState, waitAfterFailures } from "../../src/domain/throttle/index.js";
import { confirmTotpEnrolment, enrolTotp } from "../../src/domain/totp/index.js";
import { createPgDb } from "../../src/store/pg.js";
import type { Db } from "../../src/store/db.js";
import { createTestApp, type TestApp } from "../support/app.js";

const T0 = new Date("2026-03-01T12:00:05Z");
const META: RequestMeta = { caller: { tenant: "t1", keyId: "k1", role: "service" }, clientIp: "198.51.100.4", requestId: "r" };
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

function code(secretHex: string, at: Date): string {
  return totpCode(Buffer.from(secretHex, "hex"), "SHA1", 6, 30, Math.floor(at.getTime() / 1000));
}

async function activeFactor(userId: string): Promise<{ secretHex: string; factorId: string }> {
  clock.set(T0);
  const { factor, enrolment } = await enrolTotp(app.deps, META, { userId, label: "Phone", spec: SPEC });
  const confirmed = await confirmTotpEnrolment(app.deps, META, { userId, factorId: factor.id, code: code(enrolment.secretHex, T0) });
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
    const results = await Promise.all([
      confirmTotpEnrolment(app.deps, META, { userId: "confirm-race", factorId: factor.id, code: c }),
      confirmTotpEnrolment({ ...app.deps, db: replica }, META, { userId: "confirm-race", factorId: factor.id, code: c }).catch(
        (err: unknown) => ({ confirmed: false as const, error: err }),
      ),
    ]);
    expect(results.filter((r) => r.confirmed)).toHaveLength(1);
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
  async function hmacsFor(userId: string, c: string): Promise<number> {
    const ch = await challenge(app.deps, META, { userId, userGroups: [] });
    const before = coreCounters.hmacs;
    await verifyLogin(app.deps, META, { transactionId: ch.transactionId, proof: { kind: "otp", code: c, factorId: undefined } });
    return coreCounters.hmacs - before;
  }

  it("computes the same number of HMACs for a match, a miss and a user without factors", async () => {
    const { secretHex } = await activeFactor("worker");
    clock.advance(120_000);
    const right = code(secretHex, clock.now());
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
    // Every OTP proof runs the TOTP window and the HOTP window (dummy keys where the user has none).
    const perProof = TOTP_STEPS_PER_VERIFY + HOTP_STEPS_PER_VERIFY;
    expect(await hmacsFor("worker", wrong)).toBe(perProof);
    expect(await hmacsFor("nobody-at-all", right)).toBe(perProof);
    expect(await hmacsFor("worker", right)).toBe(perProof);
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
