import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, createTwofoldClient, TwofoldError, v1, type TwofoldClient, type TwofoldClientOptions } from "../../src/client/index.js";
import { apiKeyAuthenticator } from "../../src/domain/api-keys/index.js";
import type { Caller } from "../../src/domain/caller.js";
import { FixedClock } from "../../src/domain/clock.js";
import { HealthCheckResponse_ServingStatus } from "../../src/gen/grpc/health/v1/health_pb.js";
import { createServices } from "../../src/rpc/services.js";
import { startServer } from "../../src/server/server.js";
import { createPgDb } from "../../src/store/pg.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { startInProcess, type InProcessServer } from "../e2e/helpers.js";
import { rpcLines } from "./rpc-lines.js";

const T0 = new Date("2026-07-01T12:00:10Z");
/** Not an app password any user holds: 25 Crockford characters of zeros. */
const WRONG_APP_PASSWORD = "00000-00000-00000-00000-00000";
/** A transaction id no Challenge returned. */
const UNKNOWN_TRANSACTION = "7b0c6f0e-3d7a-4b8e-9a53-2f1d0c4e5a61";

let app: TestApp;
let srv: InProcessServer;
let serviceKey = "";
let adminKey = "";
const clock = new FixedClock(T0);
const opened: TwofoldClient[] = [];

beforeAll(async () => {
  app = await createTestApp({ clock });
  srv = await startInProcess(app.deps);
  serviceKey = await createTestApiKey(app, "acme", "service");
  adminKey = await createTestApiKey(app, "acme", "admin");
});
afterAll(async () => {
  for (const c of opened) c.close();
  await srv?.server.close();
  await app?.close();
});

function client(options: Partial<TwofoldClientOptions> & Pick<TwofoldClientOptions, "protocol">): TwofoldClient {
  const c = createTwofoldClient({ baseUrl: srv.url, apiKey: serviceKey, ...options });
  opened.push(c);
  return c;
}

/** The TwofoldError a call fails with; fails the test when it succeeds or throws anything else. */
async function failure(call: Promise<unknown>): Promise<TwofoldError> {
  const err = await call.then(
    () => new Error("expected the call to fail, it succeeded"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TwofoldError);
  return err as TwofoldError;
}

const protocols: [string, Pick<TwofoldClientOptions, "protocol" | "httpVersion">][] = [
  ["gRPC", { protocol: "grpc" }],
  ["Connect over HTTP/2", { protocol: "connect" }],
  ["Connect over HTTP/1.1", { protocol: "connect", httpVersion: "1.1" }],
];

describe.each(protocols)("the client over %s", (label, proto) => {
  const user = `client-${label.replace(/\W+/g, "-")}`;

  it("calls every service with the bearer key set", async () => {
    const c = client(proto);
    expect((await c.health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const enrolled = await c.enrolment.enrol({ userId: user, label: "Phone", spec: { case: "totp", value: {} } });
    expect(enrolled.factor?.state).toBe(v1.FactorState.PENDING);
    expect((await c.enrolment.listFactors({ userId: user })).factors.map((f) => f.id)).toEqual([enrolled.factor?.id]);
    expect((await c.authentication.challenge({ userId: user, purpose: v1.Purpose.SECOND_FACTOR })).transactionId).not.toBe("");
    expect((await c.backupCodes.getBackupCodeStatus({ userId: user })).remaining).toBe(0);
    const created = await c.appPasswords.createAppPassword({ userId: user, name: "mail", scopes: ["imap"] });
    expect((await c.appPasswords.listAppPasswords({ userId: user })).appPasswords.map((p) => p.id)).toEqual([created.appPassword?.id]);
    const admin = client({ ...proto, apiKey: adminKey });
    expect((await admin.admin.getUserState({ userId: user })).factors).toHaveLength(1);
  });

  it("decodes every bad field of INVALID_ARGUMENT from google.rpc.BadRequest", async () => {
    const err = await failure(
      client(proto).enrolment.enrol({ userId: "bad\u0007user", label: "Phone", spec: { case: "totp", value: { digits: 7, periodSeconds: 45 } } }),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.procedure).toBe("twofold.v1.EnrolmentService/Enrol");
    expect(err.fieldViolations.map((v) => v.field)).toEqual(["user_id", "spec.totp.digits", "spec.totp.period_seconds"]);
    for (const v of err.fieldViolations) expect(v.description).not.toBe("");
    expect(err.reason).toBeUndefined();
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.attempts).toBe(1);
  });

  it("decodes the ErrorInfo reason and the RetryInfo delay of a throttled user", async () => {
    const c = client(proto);
    const throttledUser = `${user}-throttled`;
    const { password } = await c.appPasswords.createAppPassword({ userId: throttledUser, name: "mail", scopes: ["imap"] });
    for (let i = 0; i < 5; i++) {
      const res = await c.appPasswords.verifyAppPassword({ userId: throttledUser, password: WRONG_APP_PASSWORD, requiredScope: "imap" });
      expect(res.reason).toBe(v1.FailureReason.WRONG_CODE);
    }
    const err = await failure(c.appPasswords.verifyAppPassword({ userId: throttledUser, password, requiredScope: "imap" }));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.reason).toBe("THROTTLED");
    expect(err.reasonDomain).toBe("twofold");
    // Five failures at a pinned clock: the sixth attempt waits exactly 2^0 s.
    expect(err.retryAfterMs).toBe(1000);
    expect(err.fieldViolations).toEqual([]);
    expect(err.message).toContain("[resource_exhausted] twofold.v1.AppPasswordService/VerifyAppPassword:");
  });

  it("answers a call without a valid key with UNAUTHENTICATED and no details", async () => {
    const err = await failure(client({ ...proto, apiKey: "tf_0000000000000000_not-a-key" }).enrolment.listFactors({ userId: user }));
    expect(err.code).toBe(Code.Unauthenticated);
    expect([err.reason, err.retryAfterMs, err.fieldViolations.length]).toEqual([undefined, undefined, 0]);
  });

  it("maps NOT_FOUND and FAILED_PRECONDITION like the service sends them", async () => {
    const c = client(proto);
    const missing = await failure(c.authentication.verify({ transactionId: UNKNOWN_TRANSACTION, proof: { case: "otp", value: { code: "123456" } } }));
    expect([Code.NotFound, Code.FailedPrecondition]).toContain(missing.code);
    expect(missing.procedure).toBe("twofold.v1.AuthenticationService/Verify");
  });
});

describe("deadlines", () => {
  it("fails a call with DEADLINE_EXCEEDED when the service does not answer in time, and a call may take longer than the default", async () => {
    // A server whose key check takes 1 s: the time is spent on the server, not in the client.
    const slow = await startSlowServer(1_000);
    try {
      const c = createTwofoldClient({ baseUrl: slow.url, apiKey: serviceKey, protocol: "grpc", timeoutMs: 50 });
      opened.push(c);
      const started = performance.now();
      const err = await failure(c.enrolment.listFactors({ userId: "deadline" }));
      expect(err.code).toBe(Code.DeadlineExceeded);
      expect(performance.now() - started).toBeLessThan(900);
      expect((await c.enrolment.listFactors({ userId: "deadline" }, { timeoutMs: 5_000 })).factors).toEqual([]);
    } finally {
      await slow.close();
    }
  });
});

describe("retries", () => {
  let dead: Server;
  let down: InProcessServer;
  const lines = rpcLines();

  beforeAll(async () => {
    // A "Postgres" that hangs up on every connection: each call's key check answers UNAVAILABLE.
    dead = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
    const port = (dead.address() as { port: number }).port;
    const db = createPgDb({ url: `postgres://postgres@127.0.0.1:${port}/none`, poolSize: 2, connectionTimeoutMs: 1_000 });
    down = await startInProcess({ ...app.deps, db }, lines.logger);
  });
  afterAll(async () => {
    await down?.server.close();
    await new Promise((resolve) => dead?.close(resolve));
  });

  const downClient = (options: Partial<TwofoldClientOptions> = {}): TwofoldClient => {
    const c = createTwofoldClient({ baseUrl: down.url, apiKey: serviceKey, protocol: "grpc", retry: { initialDelayMs: 1 }, ...options });
    opened.push(c);
    return c;
  };

  it("retries a read that failed with UNAVAILABLE, up to maxAttempts", async () => {
    const since = lines.mark();
    const err = await failure(downClient().enrolment.listFactors({ userId: "retry-read" }));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.attempts).toBe(3);
    expect(lines.codesOf("twofold.v1.EnrolmentService/ListFactors", since)).toEqual(["unavailable", "unavailable", "unavailable"]);
  });

  it("gets the answer of a read whose first attempts met UNAVAILABLE", async () => {
    // The database "comes back" after two refused connections: the key check fails as pg does when nothing listens.
    let refusals = 2;
    const flakyLines = rpcLines();
    const flaky = await startServerAround((real, token) => {
      if (refusals-- > 0) return Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
      return real(token);
    }, flakyLines.logger);
    try {
      const c = createTwofoldClient({ baseUrl: flaky.url, apiKey: serviceKey, protocol: "connect", retry: { initialDelayMs: 1 } });
      opened.push(c);
      expect((await c.enrolment.listFactors({ userId: "retry-recovers" })).factors).toEqual([]);
      expect(flakyLines.codesOf("twofold.v1.EnrolmentService/ListFactors")).toEqual(["unavailable", "unavailable", "ok"]);
    } finally {
      await flaky.close();
    }
  });

  it("never sends a Verify twice: its outcome is unknown after UNAVAILABLE", async () => {
    const since = lines.mark();
    const err = await failure(downClient().authentication.verify({ transactionId: UNKNOWN_TRANSACTION, proof: { case: "otp", value: { code: "123456" } } }));
    expect([err.code, err.attempts]).toEqual([Code.Unavailable, 1]);
    expect(lines.codesOf("twofold.v1.AuthenticationService/Verify", since)).toEqual(["unavailable"]);
  });

  it("never repeats any other write either", async () => {
    const since = lines.mark();
    const c = downClient();
    await failure(c.appPasswords.verifyAppPassword({ userId: "retry-write", password: WRONG_APP_PASSWORD, requiredScope: "imap" }));
    await failure(c.authentication.challenge({ userId: "retry-write" }));
    await failure(c.enrolment.enrol({ userId: "retry-write", label: "Phone", spec: { case: "totp", value: {} } }));
    expect(lines.codesOf("twofold.v1.AppPasswordService/VerifyAppPassword", since)).toHaveLength(1);
    expect(lines.codesOf("twofold.v1.AuthenticationService/Challenge", since)).toHaveLength(1);
    expect(lines.codesOf("twofold.v1.EnrolmentService/Enrol", since)).toHaveLength(1);
  });

  it("makes one attempt only with retry: false", async () => {
    const since = lines.mark();
    const err = await failure(downClient({ retry: false }).backupCodes.getBackupCodeStatus({ userId: "retry-off" }));
    expect(err.attempts).toBe(1);
    expect(lines.codesOf("twofold.v1.BackupCodeService/GetBackupCodeStatus", since)).toEqual(["unavailable"]);
  });

  it("stops retrying when the call's deadline would pass during the wait", async () => {
    // Full jitter draws each wait in [0, 10^9) ms, so one fits in the 5 s deadline about once in 200,000
    // calls; the deadline is far above what an attempt takes on a loaded machine, so the attempt itself
    // never meets it (a 150 ms deadline with 400 ms waits, as this test had, answered DEADLINE_EXCEEDED
    // when the first attempt was slow).
    const c = downClient({ retry: { maxAttempts: 10, initialDelayMs: 1e9, maxDelayMs: 1e9 }, timeoutMs: 5_000 });
    // A read no other test here counts.
    const err = await failure(c.appPasswords.listAppPasswords({ userId: "retry-deadline" }));
    expect(err.code).toBe(Code.Unavailable);
    // Without the check the client would sleep through the deadline; with it, it gives up at once.
    expect(err.attempts).toBe(1);
  });
});

describe("a client-wide signal", () => {
  it("fails calls with CANCELED once aborted, without reaching the service", async () => {
    const controller = new AbortController();
    const c = client({ protocol: "grpc", signal: controller.signal });
    expect((await c.health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    controller.abort();
    const err = await failure(c.enrolment.listFactors({ userId: "aborted" }));
    expect(err.code).toBe(Code.Canceled);
  });
});

describe("options", () => {
  it("refuses a base URL that is not http(s), an empty key and an unknown protocol", () => {
    expect(() => createTwofoldClient({ baseUrl: "127.0.0.1:50051", apiKey: "k", protocol: "grpc" })).toThrow(TypeError);
    expect(() => createTwofoldClient({ baseUrl: "http://127.0.0.1:1", apiKey: "", protocol: "grpc" })).toThrow(TypeError);
    expect(() => createTwofoldClient({ baseUrl: "http://127.0.0.1:1", apiKey: "k", protocol: "grpc-web" as "grpc" })).toThrow(TypeError);
  });
});

/** The real server over the test database, its key check wrapped by `around` (a delay, a fault). */
async function startServerAround(
  around: (real: (token: string) => Promise<Caller | undefined>, token: string) => Promise<Caller | undefined>,
  logger = app.deps.logger,
): Promise<{ url: string; close(): Promise<void> }> {
  const real = apiKeyAuthenticator(app.deps);
  const server = await startServer({ config: app.deps.config, logger, services: createServices(app.deps), authenticate: (token) => around(real, token) });
  return { url: server.url, close: () => server.close() };
}

function startSlowServer(delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  return startServerAround(async (real, token) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return real(token);
  });
}
