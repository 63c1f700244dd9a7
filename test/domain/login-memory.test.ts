import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { totpCode } from "../../src/core/index.js";
import type { RequestMeta } from "../../src/domain/caller.js";
import { FixedClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { removeFactor } from "../../src/domain/factors/index.js";
import { challenge, ChallengeMemory, verifyLogin, type VerifyResult } from "../../src/domain/login/index.js";
import { confirmOtpEnrolment } from "../../src/domain/otp/index.js";
import { throttleState } from "../../src/domain/throttle/index.js";
import { metrics } from "../../src/metrics/index.js";
import { createPgDb } from "../../src/store/pg.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { countingDb, type CountingDb } from "../support/counting-db.js";
import { codeMatchingNone } from "../support/otp-codes.js";
import { enrolTotp } from "../support/otp.js";

/**
 * The one-statement Verify (src/domain/login/verify-remembered.ts): a
 * replica that answered a Challenge remembers its OTP candidates, and a
 * Verify of that transaction on that replica is one statement, unless
 * something changed since the Challenge or changes under the statement. The
 * races here are made deterministic by holding a row lock on another
 * connection until the Verify's statement waits for it.
 */
const T0 = new Date("2026-03-01T12:00:05Z");
const META: RequestMeta = { caller: { tenant: "t1", keyId: "k1", role: "service" }, clientIp: "198.51.100.4", requestId: "r" };
const SPEC = { algorithm: undefined, digits: 0, periodSeconds: 0, secret: new Uint8Array(0), issuer: "", accountName: "", tokenProfile: "software" as const };

let app: TestApp;
let db: CountingDb;
let deps: AppDeps;
let clock: FixedClock;
let other: pg.Client;

beforeAll(async () => {
  clock = new FixedClock(T0);
  app = await createTestApp({ clock });
  db = countingDb(app.db);
  deps = { ...app.deps, db };
  other = new pg.Client({ connectionString: app.dbUrl });
  await other.connect();
});
afterAll(async () => {
  await other?.end();
  await app?.close();
});

function code(secretHex: string, at: Date): string {
  return totpCode(Buffer.from(secretHex, "hex"), "SHA1", 6, 30, Math.floor(at.getTime() / 1000));
}

async function activeFactor(userId: string, label = "Phone"): Promise<{ secretHex: string; factorId: string }> {
  const { factor, enrolment } = await enrolTotp(deps, META, { userId, label, spec: SPEC });
  const confirmed = await confirmOtpEnrolment(deps, META, { userId, factorId: factor.id, code: code(enrolment.secretHex, clock.now()) });
  expect(confirmed.confirmed).toBe(true);
  return { secretHex: enrolment.secretHex, factorId: factor.id };
}

/** The twofold_login_verify_paths_total count of each path. */
async function pathCounts(): Promise<Map<string, number>> {
  const { values } = await metrics.series.verifyPaths.get();
  return new Map(values.map((v) => [String(v.labels["path"]), v.value]));
}

/**
 * Verify with a code, counting its statements and naming the path the
 * metric counted it under (exactly one path, once); a domain error becomes
 * its reason.
 */
async function verify(memory: ChallengeMemory | undefined, transactionId: string, c: string, d: AppDeps = deps): Promise<[string, number, string]> {
  db.reset();
  const before = await pathCounts();
  const outcome = await verifyLogin(d, META, { transactionId, proof: { kind: "otp", code: c, factorId: undefined } }, memory).then(
    (r: VerifyResult) => (r.verified ? "verified" : r.reason),
    (err: unknown) => (err instanceof DomainError ? (err.details.reason ?? err.kind) : `error: ${String(err)}`),
  );
  const statements = db.sent.length;
  const rose = [...(await pathCounts())].filter(([path, n]) => n !== (before.get(path) ?? 0));
  expect(rose.map(([path, n]) => n - (before.get(path) ?? 0))).toEqual([1]);
  return [outcome, statements, rose[0]?.[0] ?? "none"];
}

/** Until a backend of the test database waits for a row lock (the Verify's statement, blocked by `other`). */
async function untilWaitingForLock(): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const r = await other.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if ((r.rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("no statement came to wait for the held lock");
}

/** Runs `verifyCall` while `other` holds the row lock `lockSql` takes, and commits that change once the call waits for it. */
async function underHeldLock<T>(lockSql: string, params: unknown[], verifyCall: () => Promise<T>): Promise<T> {
  await other.query("BEGIN");
  await other.query(lockSql, params);
  const pending = verifyCall();
  await untilWaitingForLock();
  await other.query("COMMIT");
  return pending;
}

async function lastStep(factorId: string): Promise<number> {
  const r = await app.db.query<{ last_step: string }>("SELECT last_step FROM factors WHERE id = $1::uuid", [factorId]);
  return Number(r.rows[0]?.last_step);
}

describe("a Verify on the replica that answered the Challenge", () => {
  it("settles a right code, a wrong one, a replay and an unknown user in one statement each", async () => {
    clock.set(T0);
    const memory = new ChallengeMemory();
    const { secretHex } = await activeFactor("one-statement");
    clock.advance(30_000);
    const right = code(secretHex, clock.now());
    const wrong = codeMatchingNone({ at: clock.now(), totp: [{ secretHex }] });
    const open = async (userId: string) => (await challenge(deps, META, { userId, userGroups: [] }, memory)).transactionId;
    expect(await verify(memory, await open("one-statement"), wrong)).toEqual(["wrong_code", 1, "remembered"]);
    expect(await verify(memory, await open("one-statement"), right)).toEqual(["verified", 1, "remembered"]);
    expect(await verify(memory, await open("one-statement"), right)).toEqual(["replayed", 1, "remembered"]);
    expect(await verify(memory, await open("nobody-at-all"), right)).toEqual(["wrong_code", 1, "remembered"]);
    // The success forgot the failure before it, as the two statements would.
    expect((await throttleState(deps, "t1", "one-statement")).failures).toBe(1);
    // Each entry went with its Verify.
    expect(memory.size).toBe(0);
  });

  it("answers a second attempt on the same transaction from the two statements", async () => {
    clock.set(T0);
    const memory = new ChallengeMemory();
    const { secretHex } = await activeFactor("second-try");
    clock.advance(30_000);
    const ch = await challenge(deps, META, { userId: "second-try", userGroups: [] }, memory);
    expect(await verify(memory, ch.transactionId, codeMatchingNone({ at: clock.now(), totp: [{ secretHex }] }))).toEqual(["wrong_code", 1, "remembered"]);
    expect(await verify(memory, ch.transactionId, code(secretHex, clock.now()))).toEqual(["verified", 2, "read_write"]);
  });

  it("explains a transaction another replica spent or used up since the Challenge, in one statement", async () => {
    clock.set(T0);
    const { secretHex } = await activeFactor("used-elsewhere");
    clock.advance(30_000);
    const wrong = codeMatchingNone({ at: clock.now(), totp: [{ secretHex }] });
    // Spent: the other replica, remembering nothing, takes the two statements and succeeds.
    const memory = new ChallengeMemory();
    const spent = await challenge(deps, META, { userId: "used-elsewhere", userGroups: [] }, memory);
    expect(await verify(undefined, spent.transactionId, code(secretHex, clock.now()))).toEqual(["verified", 2, "read_write"]);
    expect(await verify(memory, spent.transactionId, wrong)).toEqual(["TRANSACTION_SPENT", 1, "remembered"]);
    // Used up: five wrong codes there.
    const exhausted = await challenge(deps, META, { userId: "used-elsewhere", userGroups: [] }, memory);
    for (let i = 0; i < 5; i++) expect((await verify(undefined, exhausted.transactionId, wrong))[0]).toBe("wrong_code");
    expect(await verify(memory, exhausted.transactionId, wrong)).toEqual(["TRANSACTION_EXHAUSTED", 1, "remembered"]);
  });

  it("accepts the code of a factor confirmed after the Challenge, reading the factors afresh", async () => {
    clock.set(T0);
    const memory = new ChallengeMemory();
    await activeFactor("adds-one");
    const ch = await challenge(deps, META, { userId: "adds-one", userGroups: [] }, memory);
    const added = await activeFactor("adds-one", "Tablet");
    clock.advance(30_000);
    expect(await verify(memory, ch.transactionId, code(added.secretHex, clock.now()))).toEqual(["verified", 2, "remembered_changed"]);
  });

  it("refuses the code of a factor removed after the Challenge", async () => {
    clock.set(T0);
    const memory = new ChallengeMemory();
    const { secretHex, factorId } = await activeFactor("drops-one");
    clock.advance(30_000);
    const ch = await challenge(deps, META, { userId: "drops-one", userGroups: [] }, memory);
    await removeFactor(deps, META, { userId: "drops-one", factorId });
    expect(await verify(memory, ch.transactionId, code(secretHex, clock.now()))).toEqual(["wrong_code", 2, "remembered_changed"]);
  });

  it("accepts a code once when two replicas race on it, each on a transaction it opened", async () => {
    clock.set(T0);
    const { secretHex, factorId } = await activeFactor("two-memories");
    clock.advance(30_000);
    const replica = createPgDb({ url: app.dbUrl, poolSize: 2, statementTimeoutMs: 10_000 });
    try {
      const deps2: AppDeps = { ...app.deps, db: replica };
      const [m1, m2] = [new ChallengeMemory(), new ChallengeMemory()];
      const a = await challenge(app.deps, META, { userId: "two-memories", userGroups: [] }, m1);
      const b = await challenge(deps2, META, { userId: "two-memories", userGroups: [] }, m2);
      const c = code(secretHex, clock.now());
      const results = await Promise.all([
        verifyLogin(app.deps, META, { transactionId: a.transactionId, proof: { kind: "otp", code: c, factorId: undefined } }, m1),
        verifyLogin(deps2, META, { transactionId: b.transactionId, proof: { kind: "otp", code: c, factorId: undefined } }, m2),
      ]);
      expect(results.map((r) => (r.verified ? "verified" : r.reason)).sort()).toEqual(["replayed", "verified"]);
      expect(await lastStep(factorId)).toBe(Math.floor(clock.now().getTime() / 30_000));
    } finally {
      await replica.close();
    }
  });
});

/** A confirmed factor for `userId`, the clock one step on, and a Challenge on it remembered in a fresh memory. */
async function rememberedLogin(userId: string) {
  clock.set(T0);
  const memory = new ChallengeMemory();
  const { secretHex, factorId } = await activeFactor(userId);
  clock.advance(30_000);
  const before = await lastStep(factorId);
  const ch = await challenge(deps, META, { userId, userGroups: [] }, memory);
  return { memory, factorId, before, transactionId: ch.transactionId, code: code(secretHex, clock.now()) };
}

describe("a row changed under the one statement", () => {
  it("leaves nothing burnt when another attempt spends the transaction first, and answers TRANSACTION_UNAVAILABLE", async () => {
    const { memory, factorId, before, transactionId, code: c } = await rememberedLogin("spent-under");
    const outcome = await underHeldLock(
      "UPDATE login_transactions SET spent_at = $2::timestamptz WHERE tenant_id = 't1' AND id = $1::uuid",
      [transactionId, clock.now()],
      () => verify(memory, transactionId, c),
    );
    // The one statement rolled back: the transaction was taken under it, as the read answers that race.
    expect(outcome).toEqual(["TRANSACTION_UNAVAILABLE", 1, "remembered"]);
    expect(await lastStep(factorId)).toBe(before);
    const next = await challenge(deps, META, { userId: "spent-under", userGroups: [] }, memory);
    expect(await verify(memory, next.transactionId, c)).toEqual(["verified", 1, "remembered"]);
  });

  it("leaves nothing burnt when the user comes to wait before the admission, and answers THROTTLED", async () => {
    const { memory, factorId, before, transactionId, code: c } = await rememberedLogin("blocked-under");
    const outcome = await underHeldLock(
      `INSERT INTO throttles (tenant_id, user_id, failures, last_failure_at, blocked_until)
       VALUES ('t1', 'blocked-under', 9, $1::timestamptz, $1::timestamptz + interval '1 hour')
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET failures = 9, blocked_until = EXCLUDED.blocked_until`,
      [clock.now()],
      () => verify(memory, transactionId, c),
    );
    // The one statement rolled back; the two-statement path's read refused the attempt, with its audit row.
    expect(outcome).toEqual(["THROTTLED", 2, "remembered_fallback"]);
    expect(await lastStep(factorId)).toBe(before);
    const blocked = await app.db.query(
      `SELECT 1 FROM audit_events WHERE tenant_id = 't1' AND user_id = 'blocked-under' AND kind = 'throttle.blocked'`,
    );
    expect(blocked.rowCount).toBe(1);
  });

  it("answers replayed, with the attempt and the failure counted, when a concurrent login burns the step first", async () => {
    const { memory, factorId, transactionId, code: c } = await rememberedLogin("burnt-under");
    const step = Math.floor(clock.now().getTime() / 30_000);
    const outcome = await underHeldLock(
      "UPDATE factors SET last_step = $2::bigint WHERE tenant_id = 't1' AND id = $1::uuid",
      [factorId, step],
      () => verify(memory, transactionId, c),
    );
    expect(outcome).toEqual(["replayed", 1, "remembered"]);
    const tx = await app.db.query<{ attempts: number; spent_at: Date | null }>(
      "SELECT attempts, spent_at FROM login_transactions WHERE tenant_id = 't1' AND id = $1::uuid",
      [transactionId],
    );
    expect(tx.rows[0]).toEqual({ attempts: 1, spent_at: null });
    expect((await throttleState(deps, "t1", "burnt-under")).failures).toBe(1);
  });
});

describe("ChallengeMemory", () => {
  const entry = (tenant: string, transactionId: string, expiresAt = new Date(T0.getTime() + 60_000)) => ({
    tenant,
    transactionId,
    userId: "u",
    expiresAt,
    candidates: [],
    candidateVersions: "",
    policy: { disabledKinds: [], totp: undefined, appPasswordMaxLifetimeMs: undefined },
    policyVersion: "",
  });

  it("hands an entry out once, to its own tenant, and not after it expired", () => {
    const memory = new ChallengeMemory();
    memory.remember(entry("t1", "a"));
    memory.remember(entry("t1", "b", T0));
    expect(memory.take("t2", "a", T0)).toBeUndefined();
    expect(memory.take("t1", "a", T0)?.transactionId).toBe("a");
    expect(memory.take("t1", "a", T0)).toBeUndefined();
    expect(memory.take("t1", "b", T0)).toBeUndefined();
    expect(memory.size).toBe(0);
  });

  it("remembers nothing with capacity 0 (TWOFOLD_CHALLENGE_MEMORY=0), so every Verify takes the two statements", async () => {
    clock.set(T0);
    const memory = new ChallengeMemory(0);
    const { secretHex } = await activeFactor("no-memory");
    clock.advance(30_000);
    const ch = await challenge(deps, META, { userId: "no-memory", userGroups: [] }, memory);
    expect(memory.size).toBe(0);
    expect(await verify(memory, ch.transactionId, code(secretHex, clock.now()))).toEqual(["verified", 2, "read_write"]);
  });

  it("forgets the oldest entries beyond its capacity", () => {
    const memory = new ChallengeMemory(2);
    for (const id of ["a", "b", "c"]) memory.remember(entry("t1", id));
    expect([memory.size, memory.take("t1", "a", T0), memory.take("t1", "c", T0)?.transactionId]).toEqual([2, undefined, "c"]);
  });
});
