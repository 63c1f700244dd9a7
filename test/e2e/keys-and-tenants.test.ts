import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode } from "../../src/core/index.js";
import { createApiKey, revokeApiKey } from "../../src/domain/api-keys/index.js";
import { FixedClock } from "../../src/domain/clock.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { FactorState } from "../../src/gen/twofold/v1/types_pb.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { connectClient } from "../support/clients.js";
import { createGrpcClient } from "../support/grpc-client.js";
import { failureOf, snapshot, startInProcess, type InProcessServer } from "./helpers.js";

const T0 = new Date("2026-06-01T09:00:10Z");

let app: TestApp;
let clock: FixedClock;
let srv: InProcessServer;
let keyA = "";
let keyB = "";
const opened: { close(): void }[] = [];

beforeAll(async () => {
  clock = new FixedClock(T0);
  app = await createTestApp({ clock });
  srv = await startInProcess(app.deps);
  keyA = await createTestApiKey(app, "tenant-a", "service");
  keyB = await createTestApiKey(app, "tenant-b", "service");
});
afterAll(async () => {
  for (const c of opened) c.close();
  await srv?.server.close();
  await app?.close();
});

/** The enrolment and login calls a platform makes, over one client library, as the holder of `apiKey`. */
interface Platform {
  enrol(userId: string): Promise<{ factorId: string; secretHex: string }>;
  listFactors(userId: string): Promise<{ id: string; state: FactorState }[]>;
  confirm(userId: string, factorId: string, code: string): Promise<boolean>;
  rename(userId: string, factorId: string, label: string): Promise<unknown>;
  remove(userId: string, factorId: string): Promise<unknown>;
  challenge(userId: string): Promise<{ transactionId: string; secondFactorRequired: boolean }>;
  verify(transactionId: string, code: string): Promise<boolean>;
}

type PlatformFactory = (apiKey: string | undefined) => Platform;

function grpcJsPlatform(apiKey: string | undefined): Platform {
  const enrolment = createGrpcClient(EnrolmentService, srv.address);
  const auth = createGrpcClient(AuthenticationService, srv.address);
  opened.push(enrolment, auth);
  const opts = apiKey === undefined ? {} : { apiKey };
  return {
    async enrol(userId) {
      const r = await enrolment.unary("enrol", { userId, label: "Phone", spec: { case: "totp", value: {} } }, opts);
      return { factorId: r.factor?.id ?? "", secretHex: r.enrolment.case === "otp" ? r.enrolment.value.secretHex : "" };
    },
    listFactors: async (userId) => (await enrolment.unary("listFactors", { userId }, opts)).factors,
    confirm: async (userId, factorId, code) =>
      (await enrolment.unary("confirmEnrolment", { userId, factorId, proof: { case: "otpCode", value: code } }, opts)).confirmed,
    rename: (userId, factorId, label) => enrolment.unary("renameFactor", { userId, factorId, label }, opts),
    remove: (userId, factorId) => enrolment.unary("removeFactor", { userId, factorId }, opts),
    challenge: (userId) => auth.unary("challenge", { userId }, opts),
    verify: async (transactionId, code) =>
      (await auth.unary("verify", { transactionId, proof: { case: "otp", value: { code, factorId: "" } } }, opts)).verified,
  };
}

function connectPlatform(apiKey: string | undefined): Platform {
  const opts = apiKey === undefined ? {} : { apiKey };
  const enrolment = connectClient(EnrolmentService, srv.url, { ...opts, httpVersion: "1.1" });
  const auth = connectClient(AuthenticationService, srv.url, { ...opts, httpVersion: "1.1" });
  return {
    async enrol(userId) {
      const r = await enrolment.enrol({ userId, label: "Phone", spec: { case: "totp", value: {} } });
      return { factorId: r.factor?.id ?? "", secretHex: r.enrolment.case === "otp" ? r.enrolment.value.secretHex : "" };
    },
    listFactors: async (userId) => (await enrolment.listFactors({ userId })).factors,
    confirm: async (userId, factorId, code) =>
      (await enrolment.confirmEnrolment({ userId, factorId, proof: { case: "otpCode", value: code } })).confirmed,
    rename: (userId, factorId, label) => enrolment.renameFactor({ userId, factorId, label }),
    remove: (userId, factorId) => enrolment.removeFactor({ userId, factorId }),
    challenge: (userId) => auth.challenge({ userId }),
    verify: async (transactionId, code) =>
      (await auth.verify({ transactionId, proof: { case: "otp", value: { code, factorId: "" } } })).verified,
  };
}

const platforms: [string, PlatformFactory][] = [
  ["gRPC (@grpc/grpc-js)", grpcJsPlatform],
  ["Connect (JSON, HTTP/1.1)", connectPlatform],
];

function code(secretHex: string, at: Date): string {
  return totpCode(Buffer.from(secretHex, "hex"), "SHA1", 6, 30, Math.floor(at.getTime() / 1000));
}

describe.each(platforms)("API keys and tenants over %s", (name, platform) => {
  const tag = name.startsWith("gRPC") ? "grpc" : "connect";

  it("refuses a call without an API key as UNAUTHENTICATED", async () => {
    expect((await failureOf(platform(undefined).listFactors("alice"))).code).toBe(Code.Unauthenticated);
  });

  it("refuses a revoked key from the very next call", async () => {
    const created = await createApiKey(app.deps, { tenant: "tenant-a", role: "service", name: `soon revoked ${tag}` });
    const client = platform(created.token);
    expect(await client.listFactors("alice")).toEqual([]);
    expect(await revokeApiKey(app.deps, "tenant-a", created.apiKey.id)).toBe(true);
    expect((await failureOf(client.listFactors("alice"))).code).toBe(Code.Unauthenticated);
    expect((await failureOf(client.challenge("alice"))).code).toBe(Code.Unauthenticated);
  });

  it("keeps one tenant's user out of another tenant's reach, changing nothing", async () => {
    clock.set(T0);
    const a = platform(keyA);
    const b = platform(keyB);
    // Both tenants have a user of this name; the factor belongs to tenant A's.
    const userId = `shared-${tag}`;
    const { factorId, secretHex } = await a.enrol(userId);
    const proving = code(secretHex, T0);

    const before = await snapshot(app.db);
    expect(await b.listFactors(userId)).toEqual([]);
    expect((await failureOf(b.confirm(userId, factorId, proving))).code).toBe(Code.NotFound);
    expect((await failureOf(b.rename(userId, factorId, "Mine now"))).code).toBe(Code.NotFound);
    expect((await failureOf(b.remove(userId, factorId))).code).toBe(Code.NotFound);
    expect(await snapshot(app.db)).toEqual(before);

    // Tenant B's attempt burnt nothing: tenant A confirms with that very code.
    expect(await a.confirm(userId, factorId, proving)).toBe(true);
    expect((await a.listFactors(userId)).map((f) => [f.id, f.state])).toEqual([[factorId, FactorState.ACTIVE]]);

    // Tenant A's login transaction is unknown to tenant B, and B's attempt does not spend it.
    clock.advance(30_000);
    const login = code(secretHex, clock.now());
    const txA = await a.challenge(userId);
    expect(txA.secondFactorRequired).toBe(true);
    expect((await b.challenge(userId)).secondFactorRequired).toBe(false);
    const beforeVerify = await snapshot(app.db);
    expect((await failureOf(b.verify(txA.transactionId, login))).code).toBe(Code.NotFound);
    expect(await snapshot(app.db)).toEqual(beforeVerify);
    expect(await a.verify(txA.transactionId, login)).toBe(true);
  });
});
