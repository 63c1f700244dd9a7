import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { expect } from "vitest";
import { cachedApiKeyAuthenticator } from "../../src/domain/api-keys/index.js";
import { FixedClock } from "../../src/domain/clock.js";
import { BadRequestSchema, ErrorInfoSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { AdminService } from "../../src/gen/twofold/v1/admin_pb.js";
import { AppPasswordService } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { BackupCodeService } from "../../src/gen/twofold/v1/backup_codes_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { connectClient } from "../support/clients.js";
import { countingDb, type CountingDb } from "../support/counting-db.js";
import { createServices } from "../../src/rpc/services.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import { T0, type Harness } from "../rpc/harness.js";

/**
 * The real server (every service, cached API-key authentication, as
 * `twofold serve` wires it)
 * on a real Postgres database, reached by Connect clients with real API
 * keys, one service and one admin key per tenant. Each test calls
 * `tenant(name)` first for a tenant of its own, so tests can run in any
 * order. The database is wrapped in a CountingDb so a test can count round
 * trips. Compatible with the rpc and webauthn test helpers (Harness).
 */
export interface PolicyHarness extends Harness {
  db: CountingDb;
  server: RunningServer;
  /** Makes the tenant's keys (once); every accessor below needs it first. */
  tenant(name: string): Promise<void>;
  admin(tenant: string): Client<typeof AdminService>;
  appPasswords(tenant: string): Client<typeof AppPasswordService>;
  close(): Promise<void>;
}

export async function createPolicyHarness(): Promise<PolicyHarness> {
  const clock = new FixedClock(T0);
  const app: TestApp = await createTestApp({ clock });
  const db = countingDb(app.db);
  const deps = { ...app.deps, db };
  const authenticator = await cachedApiKeyAuthenticator(deps);
  const server = await startServer({ config: deps.config, logger: deps.logger, services: createServices(deps), authenticate: authenticator.authenticate });
  const keys = new Map<string, { service: string; admin: string }>();
  const key = (tenant: string, role: "service" | "admin"): string => {
    const k = keys.get(tenant);
    if (k === undefined) throw new Error(`call tenant(${JSON.stringify(tenant)}) first`);
    return k[role];
  };
  const service = <S extends Parameters<typeof connectClient>[0]>(s: S, tenant: string | undefined) =>
    connectClient(s, server.url, { apiKey: key(tenant ?? "", "service") });
  return {
    app: { ...app, deps },
    clock,
    db,
    server,
    async tenant(name) {
      if (keys.has(name)) return;
      keys.set(name, { service: await createTestApiKey(app, name, "service"), admin: await createTestApiKey(app, name, "admin") });
      // The first call with each key looks it up; every later one finds it cached.
      await connectClient(AuthenticationService, server.url, { apiKey: key(name, "service") }).challenge({ userId: "warm-up" });
      await connectClient(AdminService, server.url, { apiKey: key(name, "admin") }).getProviderPolicy({});
    },
    enrolment: (tenant) => service(EnrolmentService, tenant),
    auth: (tenant) => service(AuthenticationService, tenant),
    backupCodes: (tenant) => service(BackupCodeService, tenant),
    appPasswords: (tenant) => service(AppPasswordService, tenant),
    // Binary, so a test can send what JSON cannot encode (a malformed Duration).
    admin: (tenant) => connectClient(AdminService, server.url, { apiKey: key(tenant, "admin"), binary: true }),
    async close() {
      await server.close();
      await authenticator.close();
      await app.close();
    },
  };
}

/** The ConnectError a call failed with; fails the test when it succeeded. */
export async function errorOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail, it succeeded");
}

/** Asserts a FAILED_PRECONDITION with this ErrorInfo reason; returns the fields its BadRequest names (if any). */
export async function expectPrecondition(call: Promise<unknown>, reason: string): Promise<string[]> {
  const e = await errorOf(call);
  expect(Code[e.code], e.message).toBe(Code[Code.FailedPrecondition]);
  expect(e.findDetails(ErrorInfoSchema).map((d) => d.reason)).toEqual([reason]);
  return e.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

/** The fields an INVALID_ARGUMENT names; fails the test for any other outcome. */
export async function invalidFields(call: Promise<unknown>): Promise<string[]> {
  const e = await errorOf(call);
  if (e.code !== Code.InvalidArgument) throw new Error(`expected INVALID_ARGUMENT, got ${Code[e.code]}: ${e.message}`);
  return e.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}
