import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, createTwofoldClient, TwofoldError, v1, type TwofoldClient } from "../../src/client/index.js";
import { FixedClock } from "../../src/domain/clock.js";
import { metrics, startMetricsServer, type MetricsServer } from "../../src/metrics/index.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { oathtoolTotp, serveEnvFor, startInProcess, startServeProcess, type InProcessServer } from "../e2e/helpers.js";
import { parseExposition, valueOf, type Exposition } from "./exposition.js";

const T0 = new Date("2026-07-01T12:00:10Z");
/** A fixed imported TOTP secret (20 bytes), so oathtool can compute the codes independently. */
const SECRET = Buffer.from("3132333435363738393031323334353637383930", "hex");
const TENANT = "metrics-tenant";
const USER = "metrics-user-7d1f";
/** Not an app password anyone holds. */
const WRONG_APP_PASSWORD = "00000-00000-00000-00000-00000";

const clock = new FixedClock(T0);
let app: TestApp;
let srv: InProcessServer;
let scrape: MetricsServer;
let client: TwofoldClient;

const totp = (at: Date): string => oathtoolTotp(SECRET.toString("hex"), { algorithm: "SHA1", digits: 6, period: 30, at });

/** A six-digit code no step within ±10 of `at` produces, checked with oathtool rather than assumed. */
function wrongCodeAt(at: Date): string {
  const near = new Set(Array.from({ length: 21 }, (_, i) => totp(new Date(at.getTime() + (i - 10) * 30_000))));
  for (const candidate of ["000000", "111111", "222222", "333333"]) if (!near.has(candidate)) return candidate;
  throw new Error("no wrong code found");
}

async function read(): Promise<{ text: string; parsed: Exposition; contentType: string | null }> {
  const res = await fetch(scrape.url);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, parsed: parseExposition(text), contentType: res.headers.get("content-type") };
}

beforeAll(async () => {
  app = await createTestApp({ clock });
  srv = await startInProcess(app.deps);
  scrape = await startMetricsServer(metrics, { host: "127.0.0.1", port: 0 }, pino({ level: "silent" }));
  client = createTwofoldClient({ baseUrl: srv.url, apiKey: await createTestApiKey(app, TENANT, "service"), protocol: "grpc" });
});
afterAll(async () => {
  client?.close();
  await scrape?.close();
  await srv?.server.close();
  await app?.close();
});

describe("GET /metrics after real calls", () => {
  it("counts RPCs by method and code, verification outcomes, throttle refusals, the pool and statements", async () => {
    const before = (await read()).parsed;

    // A TOTP login that succeeds and one that fails, through the real service.
    const enrolled = await client.enrolment.enrol({ userId: USER, label: "Token", spec: { case: "totp", value: { secret: SECRET } } });
    const factorId = enrolled.factor?.id ?? "";
    await client.enrolment.confirmEnrolment({ userId: USER, factorId, proof: { case: "otpCode", value: totp(T0) } });
    clock.advance(30_000);
    const later = clock.now();
    const ok = await client.authentication.verify({
      transactionId: (await client.authentication.challenge({ userId: USER })).transactionId,
      proof: { case: "otp", value: { code: totp(later) } },
    });
    expect(ok.verified).toBe(true);
    const bad = await client.authentication.verify({
      transactionId: (await client.authentication.challenge({ userId: USER })).transactionId,
      proof: { case: "otp", value: { code: wrongCodeAt(later) } },
    });
    expect(bad.reason).toBe(v1.FailureReason.WRONG_CODE);

    // A refused request, and a throttled user (five failures, then a wait).
    await client.enrolment.enrol({ userId: "", label: "x", spec: { case: "totp", value: {} } }).catch((e: unknown) => e);
    const throttledUser = `${USER}-throttled`;
    await client.appPasswords.createAppPassword({ userId: throttledUser, name: "mail", scopes: ["imap"] });
    for (let i = 0; i < 5; i++) await client.appPasswords.verifyAppPassword({ userId: throttledUser, password: WRONG_APP_PASSWORD, requiredScope: "imap" });
    const refused = await client.appPasswords.verifyAppPassword({ userId: throttledUser, password: WRONG_APP_PASSWORD, requiredScope: "imap" }).catch((e: unknown) => e);
    expect(refused instanceof TwofoldError && refused.code === Code.ResourceExhausted).toBe(true);

    const { parsed: after, contentType } = await read();
    expect(contentType).toContain("text/plain");
    const delta = (name: string, labels: Record<string, string> = {}): number => valueOf(after, name, labels) - valueOf(before, name, labels);
    const rpcs = (method: string, code: string): number => delta("twofold_rpc_duration_seconds_count", { method, code });

    expect(after.types.get("twofold_rpc_duration_seconds")).toBe("histogram");
    expect(rpcs("twofold.v1.AuthenticationService/Verify", "ok")).toBe(2);
    expect(rpcs("twofold.v1.AuthenticationService/Challenge", "ok")).toBe(2);
    expect(rpcs("twofold.v1.EnrolmentService/Enrol", "ok")).toBe(1);
    expect(rpcs("twofold.v1.EnrolmentService/Enrol", "invalid_argument")).toBe(1);
    expect(rpcs("twofold.v1.AppPasswordService/VerifyAppPassword", "ok")).toBe(5);
    expect(rpcs("twofold.v1.AppPasswordService/VerifyAppPassword", "resource_exhausted")).toBe(1);
    // The +Inf bucket holds every call, and buckets never decrease.
    const verifyOk = { method: "twofold.v1.AuthenticationService/Verify", code: "ok" };
    const buckets = after.samples.filter((s) => s.name === "twofold_rpc_duration_seconds_bucket" && s.labels["method"] === verifyOk.method && s.labels["code"] === "ok");
    expect(buckets.at(-1)?.labels["le"]).toBe("+Inf");
    expect(buckets.at(-1)?.value).toBe(valueOf(after, "twofold_rpc_duration_seconds_count", verifyOk));
    expect(buckets.every((b, i) => i === 0 || b.value >= (buckets[i - 1]?.value ?? 0))).toBe(true);

    expect(delta("twofold_verifications_total", { provider: "totp", reason: "verified" })).toBe(1);
    expect(delta("twofold_verifications_total", { provider: "totp", reason: "wrong_code" })).toBe(1);
    expect(delta("twofold_throttle_refusals_total")).toBe(1);
    // Both Verifies reached the replica that answered their Challenge: one statement each.
    expect(delta("twofold_login_verify_paths_total", { path: "remembered" })).toBe(2);
    for (const path of ["remembered_changed", "remembered_fallback", "read_write"]) expect(delta("twofold_login_verify_paths_total", { path }), path).toBe(0);

    expect(delta("twofold_db_statement_duration_seconds_count")).toBeGreaterThan(10);
    expect(valueOf(after, "twofold_db_pool_max_connections")).toBe(app.deps.config.dbPoolSize);
    expect(valueOf(after, "twofold_db_pool_waiting_requests")).toBe(0);
    const inUse = valueOf(after, "twofold_db_pool_in_use_connections");
    expect(inUse).toBeGreaterThanOrEqual(0);
    expect(inUse + valueOf(after, "twofold_db_pool_idle_connections")).toBeLessThanOrEqual(app.deps.config.dbPoolSize);
    // The calls' named statements went on pipelined connections, all answered by now.
    const pipelines = valueOf(after, "twofold_db_pipeline_connections");
    expect(pipelines).toBeGreaterThanOrEqual(1);
    expect(pipelines).toBeLessThanOrEqual(app.deps.config.dbPipelines);
    expect(valueOf(after, "twofold_db_pipeline_in_flight_statements")).toBe(0);
  });

  it("has API-key cache and Verify path series from the start, for the calls to count into", async () => {
    const before = (await read()).parsed;
    expect(before.samples.filter((s) => s.name === "twofold_api_key_cache_lookups_total").map((s) => s.labels["result"]).sort()).toEqual(["hit", "miss"]);
    expect(before.samples.filter((s) => s.name === "twofold_login_verify_paths_total").map((s) => s.labels["path"]).sort()).toEqual([
      "read_write",
      "remembered",
      "remembered_changed",
      "remembered_fallback",
    ]);
    metrics.apiKeyCache("hit");
    metrics.apiKeyCache("miss");
    metrics.apiKeyCache("hit");
    const after = (await read()).parsed;
    expect(valueOf(after, "twofold_api_key_cache_lookups_total", { result: "hit" }) - valueOf(before, "twofold_api_key_cache_lookups_total", { result: "hit" })).toBe(2);
    expect(valueOf(after, "twofold_api_key_cache_lookups_total", { result: "miss" }) - valueOf(before, "twofold_api_key_cache_lookups_total", { result: "miss" })).toBe(1);
  });

  it("serves the process defaults", async () => {
    const { parsed } = await read();
    for (const name of ["process_cpu_user_seconds_total", "process_resident_memory_bytes", "nodejs_heap_size_used_bytes", "nodejs_eventloop_lag_seconds"]) {
      expect(parsed.samples.some((s) => s.name === name), name).toBe(true);
    }
  });

  it("puts no user, tenant or key in any label", async () => {
    // Calls of its own (a login refused for a wrong code), so the series with
    // provider and reason labels exist whichever test ran first.
    const userId = `${USER}-labels`;
    const enrolled = await client.enrolment.enrol({ userId, label: "Token", spec: { case: "totp", value: { secret: SECRET } } });
    await client.enrolment.confirmEnrolment({ userId, factorId: enrolled.factor?.id ?? "", proof: { case: "otpCode", value: totp(clock.now()) } });
    const bad = await client.authentication.verify({
      transactionId: (await client.authentication.challenge({ userId })).transactionId,
      proof: { case: "otp", value: { code: wrongCodeAt(clock.now()) } },
    });
    expect(bad.reason).toBe(v1.FailureReason.WRONG_CODE);
    const { parsed } = await read();
    const values = parsed.samples.flatMap((s) => Object.values(s.labels));
    for (const secretish of [USER, TENANT, "tf_"]) expect(values.filter((v) => v.includes(secretish))).toEqual([]);
    const labelNames = new Set(parsed.samples.filter((s) => s.name.startsWith("twofold_")).flatMap((s) => Object.keys(s.labels)));
    expect([...labelNames].sort()).toEqual(["code", "le", "method", "path", "provider", "reason", "result"]);
  });

  it("answers only GET /metrics", async () => {
    expect((await fetch(scrape.url.replace("/metrics", "/"))).status).toBe(404);
    expect((await fetch(scrape.url, { method: "POST" })).status).toBe(405);
  });
});

describe("twofold serve with TWOFOLD_METRICS_ADDR", () => {
  it("serves /metrics on its own listener, counting the calls on the main one", async () => {
    const serve = await startServeProcess({ ...serveEnvFor(app), TWOFOLD_METRICS_ADDR: "127.0.0.1:0" });
    try {
      const line = serve
        .stdout()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { msg?: string; url?: string })
        .find((l) => l.msg === "serving metrics");
      const url = line?.url ?? "";
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(new URL(url).port).not.toBe(new URL(serve.url).port);
      const c = createTwofoldClient({ baseUrl: serve.url, apiKey: "none", protocol: "connect" });
      await c.health.check({});
      c.close();
      const parsed = parseExposition(await (await fetch(url)).text());
      expect(valueOf(parsed, "twofold_rpc_duration_seconds_count", { method: "grpc.health.v1.Health/Check", code: "ok" })).toBe(1);
    } finally {
      await serve.stop();
    }
  });
});
