import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { cachedApiKeyAuthenticator, createApiKey, revokeApiKey, type CachedAuthenticator } from "../../src/domain/api-keys/index.js";
import { createTestApp, type TestApp } from "../support/app.js";
import type { CountingDb } from "../support/counting-db.js";
import { twoReplicas, within } from "../support/replicas.js";

/**
 * Two replicas, each with its own pool, LISTEN connection and cache, on one
 * database: the setup a revocation must cross (docs/operations.md "Replicas").
 */
describe("the API key cache across replicas", () => {
  let app: TestApp;
  let dbs: CountingDb[] = [];
  let caches: CachedAuthenticator[] = [];
  let replicaDeps: AppDeps[] = [];

  beforeAll(async () => {
    app = await createTestApp();
    ({ dbs, deps: replicaDeps } = twoReplicas(app));
    caches = await Promise.all(replicaDeps.map((deps) => cachedApiKeyAuthenticator(deps)));
  });
  afterAll(async () => {
    await Promise.all(caches.map((c) => c.close()));
    await Promise.all(dbs.map((d) => d.close()));
    await app?.close();
  });

  it("answers a known key from the cache, without a statement, after the first call", async () => {
    const { token, apiKey } = await createApiKey(app.deps, { tenant: "acme", role: "service" });
    const [a] = caches;
    const [dbA] = dbs;
    if (a === undefined || dbA === undefined) throw new Error("no replica");
    expect(await a.authenticate(token)).toEqual({ tenant: "acme", keyId: apiKey.id, role: "service" });
    dbA.reset();
    for (let i = 0; i < 5; i++) expect((await a.authenticate(token))?.keyId).toBe(apiKey.id);
    expect(dbA.sent).toEqual([]);
  });

  it("refuses a key revoked through one replica on the other within a second", async () => {
    const { token } = await createApiKey(app.deps, { tenant: "acme", role: "admin" });
    const [a, b] = caches;
    const [depsA] = replicaDeps;
    if (a === undefined || b === undefined || depsA === undefined) throw new Error("no replica");
    expect(await a.authenticate(token)).toBeDefined();
    expect(await b.authenticate(token)).toBeDefined();
    const caller = await b.authenticate(token);
    expect(await revokeApiKey(depsA, "acme", caller?.keyId ?? "")).toBe(true);
    const tookMs = await within(1_000, async () => (await b.authenticate(token)) === undefined);
    expect(tookMs).toBeDefined();
    expect(await a.authenticate(token)).toBeUndefined();
  });

  it("stops trusting its cache while its LISTEN connection is down, and trusts it again once back", async () => {
    const { token, apiKey } = await createApiKey(app.deps, { tenant: "acme", role: "service" });
    const [, b] = caches;
    const [, dbB] = dbs;
    if (b === undefined || dbB === undefined) throw new Error("no replica");
    expect(await b.authenticate(token)).toBeDefined();
    // The listeners' connections end (a failover, say); a revocation written while they are down
    // sends a notification nobody hears, here simulated by revoking without one.
    await app.db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'twofold-listen' AND datname = current_database()");
    await app.db.query("UPDATE api_keys SET revoked_at = now() WHERE id = $1", [apiKey.id]);
    // While down or just back, the cache is not trusted: the database is asked, and says revoked.
    expect(await within(2_000, async () => (await b.authenticate(token)) === undefined)).toBeDefined();
    // Once back, a key is cached again: a second call sends no statement.
    const other = await createApiKey(app.deps, { tenant: "acme", role: "service" });
    const cachedAgain = await within(3_000, async () => {
      await b.authenticate(other.token);
      dbB.reset();
      await b.authenticate(other.token);
      return dbB.sent.length === 0;
    });
    expect(cachedAgain).toBeDefined();
  });
});
