import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { totpCode } from "../../src/core/index.js";
import { cachedApiKeyAuthenticator, type CachedAuthenticator } from "../../src/domain/api-keys/index.js";
import { FixedClock } from "../../src/domain/clock.js";
import { openTenantSettingsCache, type TenantSettingsCache } from "../../src/domain/login/index.js";
import { AppPasswordService } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { BackupCodeService } from "../../src/gen/twofold/v1/backup_codes_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { Purpose } from "../../src/gen/twofold/v1/types_pb.js";
import { createServices } from "../../src/rpc/services.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { connectClient } from "../support/clients.js";
import { countingDb, type CountingDb } from "../support/counting-db.js";
import { codeMatchingNone } from "../support/otp-codes.js";

/**
 * The database round trips of each RPC, counted on the pool the real server
 * uses (docs/design.md "Database round trips"): Challenge one statement,
 * Verify at most two whatever the outcome (an OTP code on the replica that
 * answered the Challenge one), the API key answered from the cache. BEGIN
 * and COMMIT count as statements.
 */
const T0 = new Date("2026-03-01T12:00:05Z");
const USER = "counted";

let app: TestApp;
let db: CountingDb;
let keys: CachedAuthenticator;
let settings: TenantSettingsCache[] = [];
let server: RunningServer;
/** A second replica on the same pool: a Challenge it answers is remembered there only. */
let other: RunningServer;
let apiKey = "";
const clock = new FixedClock(T0);

beforeAll(async () => {
  app = await createTestApp({ clock });
  db = countingDb(app.db);
  const deps: AppDeps = { ...app.deps, db };
  keys = await cachedApiKeyAuthenticator(deps);
  // Each replica with its own copy of the tenants' settings, as `twofold serve` runs.
  settings = await Promise.all([openTenantSettingsCache(deps), openTenantSettingsCache(deps)]);
  const [mine, theirs] = settings;
  server = await startServer({ config: deps.config, logger: deps.logger, services: createServices(deps, { tenantSettings: mine }), authenticate: keys.authenticate });
  other = await startServer({ config: deps.config, logger: deps.logger, services: createServices(deps, { tenantSettings: theirs }), authenticate: keys.authenticate });
  apiKey = await createTestApiKey(app, "acme", "service");
});
afterAll(async () => {
  await server?.close();
  await other?.close();
  await keys?.close();
  await Promise.all(settings.map((c) => c.close()));
  await app?.close();
});

/** The statements one call sent, how each commits ("off": without waiting for the WAL flush; "on": durably), and its result. */
async function counted<T>(call: () => Promise<T>): Promise<{ statements: number; commits: string[]; result: T }> {
  db.reset();
  const result = await call();
  // The test database runs with the default synchronous_commit, on.
  return { statements: db.sent.length, commits: db.sent.map((s) => s.commitSetting ?? "on"), result };
}

describe("statements per RPC", () => {
  it("keeps Challenge to one statement and Verify to two, whatever the outcome", async () => {
    const enrolment = connectClient(EnrolmentService, server.url, { apiKey });
    const auth = connectClient(AuthenticationService, server.url, { apiKey });
    const backup = connectClient(BackupCodeService, server.url, { apiKey });
    const apps = connectClient(AppPasswordService, server.url, { apiKey });
    // The first call looks the key up; every later one finds it cached.
    await auth.challenge({ userId: "warm-up" });

    const enrolled = await counted(() => enrolment.enrol({ userId: USER, label: "Phone", spec: { case: "totp", value: {} } }));
    expect(enrolled.statements).toBe(1);
    const secretHex = enrolled.result.enrolment.case === "otp" ? enrolled.result.enrolment.value.secretHex : "";
    const codeAt = (at: Date) => totpCode(Buffer.from(secretHex, "hex"), "SHA1", 6, 30, Math.floor(at.getTime() / 1000));
    const confirmed = await counted(() =>
      enrolment.confirmEnrolment({ userId: USER, factorId: enrolled.result.factor?.id ?? "", proof: { case: "otpCode", value: codeAt(T0) } }),
    );
    expect([confirmed.statements, confirmed.result.confirmed]).toEqual([2, true]);

    clock.advance(30_000);
    const right = codeAt(clock.now());
    const wrong = codeMatchingNone({ at: clock.now(), totp: [{ secretHex }] });
    const login = async (userId: string, code: string) => {
      const ch = await counted(() => auth.challenge({ userId }));
      const v = await counted(() => auth.verify({ transactionId: ch.result.transactionId, proof: { case: "otp", value: { code, factorId: "" } } }));
      return [ch.statements, v.statements, v.result.verified];
    };
    // On the replica that answered the Challenge, an OTP Verify is one statement.
    expect(await login(USER, wrong)).toEqual([1, 1, false]);
    expect(await login(USER, right)).toEqual([1, 1, true]);
    expect(await login(USER, right)).toEqual([1, 1, false]);
    expect(await login("nobody-at-all", right)).toEqual([1, 1, false]);

    const codes = await counted(() => backup.generateBackupCodes({ userId: USER, count: 10 }));
    expect(codes.statements).toBe(1);
    const ch = await auth.challenge({ userId: USER });
    const redeemed = await counted(() => auth.verify({ transactionId: ch.transactionId, proof: { case: "backupCode", value: { code: codes.result.codes[0] ?? "" } } }));
    expect([redeemed.statements, redeemed.result.verified, redeemed.result.context?.backupCodesRemaining]).toEqual([2, true, 9]);

    const passwordless = await counted(() => auth.challenge({ purpose: Purpose.PASSWORDLESS }));
    expect(passwordless.statements).toBe(1);

    const created = await counted(() => apps.createAppPassword({ userId: USER, name: "mail", scopes: ["imap"] }));
    // The per-user lock, then the insert with its count and audit row: BEGIN, lock, insert, COMMIT.
    expect(created.statements).toBe(4);
    const used = await counted(() => apps.verifyAppPassword({ userId: USER, password: created.result.password, requiredScope: "imap" }));
    expect([used.statements, used.result.verified]).toEqual([1, true]);
  });

  it("takes two statements for an OTP Verify another replica, or a changed factor, keeps from being settled in one", async () => {
    const enrolment = connectClient(EnrolmentService, server.url, { apiKey });
    const auth = connectClient(AuthenticationService, server.url, { apiKey });
    const elsewhere = connectClient(AuthenticationService, other.url, { apiKey });
    await elsewhere.challenge({ userId: "warm-up" });
    const enrolled = await enrolment.enrol({ userId: "moving", label: "Phone", spec: { case: "totp", value: {} } });
    const secretHex = enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "";
    const factorId = enrolled.factor?.id ?? "";
    const codeAt = (at: Date) => totpCode(Buffer.from(secretHex, "hex"), "SHA1", 6, 30, Math.floor(at.getTime() / 1000));
    await enrolment.confirmEnrolment({ userId: "moving", factorId, proof: { case: "otpCode", value: codeAt(clock.now()) } });
    const otp = (code: string) => ({ case: "otp" as const, value: { code, factorId: "" } });

    // Opened on the other replica, verified here: this one remembers nothing of it.
    clock.advance(30_000);
    const opened = await elsewhere.challenge({ userId: "moving" });
    const there = await counted(() => auth.verify({ transactionId: opened.transactionId, proof: otp(codeAt(clock.now())) }));
    expect([there.statements, there.result.verified, there.commits]).toEqual([2, true, ["off", "on"]]);

    // Opened here, but the factor was renamed (its row changed) before the code came: the first statement writes
    // nothing and reads the factors afresh, the second settles the code on them.
    clock.advance(30_000);
    const ch = await auth.challenge({ userId: "moving" });
    await enrolment.renameFactor({ userId: "moving", factorId, label: "Old phone" });
    const changed = await counted(() => auth.verify({ transactionId: ch.transactionId, proof: otp(codeAt(clock.now())) }));
    expect([changed.statements, changed.result.verified, changed.commits]).toEqual([2, true, ["on", "on"]]);
  });

  it("answers a throttled Verify after one statement, without looking at the proof", async () => {
    const auth = connectClient(AuthenticationService, server.url, { apiKey });
    for (let i = 0; i < 5; i++) {
      const ch = await auth.challenge({ userId: "guesser" });
      await auth.verify({ transactionId: ch.transactionId, proof: { case: "otp", value: { code: "000000", factorId: "" } } });
    }
    const ch = await auth.challenge({ userId: "guesser" });
    const blocked = await counted(() =>
      auth.verify({ transactionId: ch.transactionId, proof: { case: "otp", value: { code: "000000", factorId: "" } } }).catch((e: unknown) => e),
    );
    expect(blocked.statements).toBe(1);
    expect(String(blocked.result)).toMatch(/resource_exhausted/);
    // Nothing follows the refusal to flush its audit row: the read waits for its own flush.
    expect(blocked.commits).toEqual(["on"]);
  });

  it("leaves only the statement that settles a login waiting for the WAL flush", async () => {
    const auth = connectClient(AuthenticationService, server.url, { apiKey });
    const enrolment = connectClient(EnrolmentService, server.url, { apiKey });
    const enrolled = await enrolment.enrol({ userId: "flushed", label: "Phone", spec: { case: "totp", value: {} } });
    const secretHex = enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "";
    const codeAt = (at: Date) => totpCode(Buffer.from(secretHex, "hex"), "SHA1", 6, 30, Math.floor(at.getTime() / 1000));
    await enrolment.confirmEnrolment({ userId: "flushed", factorId: enrolled.factor?.id ?? "", proof: { case: "otpCode", value: codeAt(clock.now()) } });
    clock.advance(30_000);
    // The key's cache entry may have aged out with the clock: look it up again before counting.
    await auth.challenge({ userId: "warm-up" });
    for (const [code, verified] of [
      [codeMatchingNone({ at: clock.now(), totp: [{ secretHex }] }), false],
      [codeAt(clock.now()), true],
    ] as const) {
      const ch = await counted(() => auth.challenge({ userId: "flushed" }));
      expect(ch.commits).toEqual(["off"]);
      const v = await counted(() => auth.verify({ transactionId: ch.result.transactionId, proof: { case: "otp", value: { code, factorId: "" } } }));
      // Settled by one statement, which waits for its flush.
      expect([v.result.verified, v.commits]).toEqual([verified, ["on"]]);
    }
  });
});
