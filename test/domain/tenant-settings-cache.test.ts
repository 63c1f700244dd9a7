import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { totpCode } from "../../src/core/index.js";
import type { RequestMeta } from "../../src/domain/caller.js";
import { FixedClock } from "../../src/domain/clock.js";
import { challenge, ChallengeMemory, openTenantSettingsCache, verifyLogin, type TenantSettingsCache } from "../../src/domain/login/index.js";
import { confirmOtpEnrolment } from "../../src/domain/otp/index.js";
import { setEnforcementPolicy, setProviderPolicy } from "../../src/domain/policy/index.js";
import { setRelyingParty } from "../../src/domain/relying-party/index.js";
import { AdminService, ProviderKind } from "../../src/gen/twofold/v1/admin_pb.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { Provider } from "../../src/gen/twofold/v1/types_pb.js";
import { callerKey } from "../../src/rpc/context.js";
import { createServices } from "../../src/rpc/services.js";
import { createTestApp, type TestApp } from "../support/app.js";
import type { CountingDb } from "../support/counting-db.js";
import { enrolTotp } from "../support/otp.js";
import { twoReplicas, within } from "../support/replicas.js";

/**
 * The replica's copy of the tenants' login settings (src/domain/login/
 * settings-cache.ts): a Challenge that finds them reads only the user's
 * rows; a change stored on another replica reaches it through NOTIFY; and a
 * copy that is out of date can never let a Verify through that the stored
 * provider policy refuses.
 */
const T0 = new Date("2026-03-01T12:00:05Z");
const meta = (tenant: string): RequestMeta => ({ caller: { tenant, keyId: "k1", role: "admin" }, clientIp: "198.51.100.4", requestId: "r" });
const SPEC = { algorithm: undefined, digits: 0, periodSeconds: 0, secret: new Uint8Array(0), issuer: "", accountName: "", tokenProfile: "software" as const };
const SETTINGS_TABLES = /enforcement_policies|relying_parties|provider_policies/;
const ALL_ON = { disabledKinds: [], totp: undefined, appPasswordMaxLifetimeMs: undefined };
const NO_TOTP = { ...ALL_ON, disabledKinds: ["totp" as const] };

/** A copy that never hears of a change: listening, but no notification ever arrives. */
function deafCache(): Promise<TenantSettingsCache> {
  return openTenantSettingsCache({ clock, db: { ...app.db, listen: async (_channel, handlers) => (handlers.up(), { close: async () => {} }) } });
}

/**
 * Until `cache` has heard a notification since `mark` (its mark moved), at
 * most a second: a test waits for its own writes' notifications, so none
 * arrives later to drop what it checks.
 */
async function heard(cache: TenantSettingsCache, mark: number): Promise<void> {
  expect(await within(1000, async () => cache.mark() !== mark)).toBeDefined();
}

function code(secretHex: string, at: Date): string {
  return totpCode(Buffer.from(secretHex, "hex"), "SHA1", 6, 30, Math.floor(at.getTime() / 1000));
}

let app: TestApp;
let clock: FixedClock;
let dbs: CountingDb[] = [];
let replicas: AppDeps[] = [];
let caches: TenantSettingsCache[] = [];

beforeAll(async () => {
  clock = new FixedClock(T0);
  app = await createTestApp({ clock });
  ({ dbs, deps: replicas } = twoReplicas(app));
  caches = await Promise.all(replicas.map((deps) => openTenantSettingsCache(deps)));
});
afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await Promise.all(dbs.map((d) => d.close()));
  await app?.close();
});

function replica(i: number): { deps: AppDeps; db: CountingDb; cache: TenantSettingsCache } {
  const [deps, db, cache] = [replicas[i], dbs[i], caches[i]];
  if (deps === undefined || db === undefined || cache === undefined) throw new Error(`no replica ${i}`);
  return { deps, db, cache };
}

async function activeTotp(tenant: string, userId: string): Promise<string> {
  const { factor, enrolment } = await enrolTotp(app.deps, meta(tenant), { userId, label: "Phone", spec: SPEC });
  const confirmed = await confirmOtpEnrolment(app.deps, meta(tenant), { userId, factorId: factor.id, code: code(enrolment.secretHex, clock.now()) });
  expect(confirmed.confirmed).toBe(true);
  return enrolment.secretHex;
}

describe("the tenant settings cache", () => {
  it("reads the settings in the first Challenge of a tenant only, and answers the same as without it", async () => {
    clock.set(T0);
    await activeTotp("cache-a", "alice");
    const { deps, db, cache } = replica(0);
    const mark = cache.mark();
    await setEnforcementPolicy(app.deps, meta("cache-a"), { enforced: true, includeGroups: ["staff"], excludeGroups: [] });
    await heard(cache, mark);
    const plain = await challenge(app.deps, meta("cache-a"), { userId: "bob", userGroups: ["staff"] });
    const withAlice = await challenge(app.deps, meta("cache-a"), { userId: "alice", userGroups: ["staff"] });
    const answers: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      db.reset();
      const bob = await challenge(deps, meta("cache-a"), { userId: "bob", userGroups: ["staff"] }, undefined, cache);
      const alice = await challenge(deps, meta("cache-a"), { userId: "alice", userGroups: ["staff"] }, new ChallengeMemory(), cache);
      answers.push([bob.enrolmentRequired, bob.providers, alice.secondFactorRequired, alice.providers.map((p) => [p.provider, p.factors.map((f) => f.id)])]);
      expect(db.sent).toHaveLength(2);
      // The first Challenge of the tenant read its settings; every later one reads only the user's rows.
      expect(db.sent.map((s) => SETTINGS_TABLES.test(s.sql))).toEqual(i === 0 ? [true, false] : [false, false]);
    }
    const expected = [plain.enrolmentRequired, plain.providers, withAlice.secondFactorRequired, withAlice.providers.map((p) => [p.provider, p.factors.map((f) => f.id)])];
    expect(plain.enrolmentRequired).toBe(true);
    expect(answers).toEqual([expected, expected, expected]);
  });

  it("sees a setting stored on another replica within a second", async () => {
    clock.set(T0);
    await activeTotp("cache-b", "carol");
    const [a, b] = [replica(0), replica(1)];
    const ask = (deps: AppDeps, cache: TenantSettingsCache, userId: string, purpose?: "passwordless") =>
      challenge(deps, meta("cache-b"), { userId, userGroups: ["staff"], ...(purpose === undefined ? {} : { purpose }) }, undefined, cache);
    // Replica A keeps the tenant's settings: TOTP offered, nothing enforced, the default relying party.
    expect((await ask(a.deps, a.cache, "carol")).providers.map((p) => p.provider)).toContain("totp");
    expect((await ask(a.deps, a.cache, "dave")).enrolmentRequired).toBe(false);
    expect(JSON.parse((await ask(a.deps, a.cache, "", "passwordless")).providers[0]?.webauthnRequestOptionsJson ?? "{}").rpId).toBe("localhost");
    a.db.reset();
    expect((await ask(a.deps, a.cache, "carol")).providers.map((p) => p.provider)).toContain("totp");
    expect(SETTINGS_TABLES.test(a.db.sent[0]?.sql ?? "")).toBe(false);

    // Each setting, stored through replica B, reaches A's Challenges.
    let mark = a.cache.mark();
    await setProviderPolicy(b.deps, meta("cache-b"), NO_TOTP);
    await heard(a.cache, mark);
    expect(await within(1000, async () => !(await ask(a.deps, a.cache, "carol")).providers.some((p) => p.provider === "totp"))).toBeDefined();
    mark = a.cache.mark();
    await setEnforcementPolicy(b.deps, meta("cache-b"), { enforced: true, includeGroups: [], excludeGroups: [] });
    await heard(a.cache, mark);
    expect(await within(1000, async () => (await ask(a.deps, a.cache, "dave")).enrolmentRequired)).toBeDefined();
    mark = a.cache.mark();
    await setRelyingParty(b.deps, meta("cache-b"), {
      rpId: "login.example.com",
      rpName: "Example",
      allowedOrigins: ["https://login.example.com"],
      allowedAaguids: [],
      attestationRootCertificates: [],
    });
    await heard(a.cache, mark);
    const rpId = async () => JSON.parse((await ask(a.deps, a.cache, "", "passwordless")).providers[0]?.webauthnRequestOptionsJson ?? "{}").rpId;
    expect(await within(1000, async () => (await rpId()) === "login.example.com")).toBeDefined();
    // And A keeps the new settings: its Challenges read only the user's rows again.
    a.db.reset();
    await ask(a.deps, a.cache, "carol");
    expect(SETTINGS_TABLES.test(a.db.sent[0]?.sql ?? "")).toBe(false);
  });

  it("lets no Verify through on a copy of the provider policy that is out of date", async () => {
    clock.set(T0);
    const secretHex = await activeTotp("cache-c", "erin");
    const deaf = await deafCache();
    const memory = new ChallengeMemory();
    const { deps } = replica(0);
    await challenge(deps, meta("cache-c"), { userId: "erin", userGroups: [] }, memory, deaf);
    await setProviderPolicy(app.deps, meta("cache-c"), NO_TOTP);
    clock.advance(30_000);
    // The copy still says TOTP is on, so the Challenge offers it and remembers the old policy's version ...
    const stale = await challenge(deps, meta("cache-c"), { userId: "erin", userGroups: [] }, memory, deaf);
    expect(stale.providers.map((p) => p.provider)).toContain("totp");
    // ... and the Verify's own statement sees the policy changed, judges again on the stored one, and refuses.
    const r = await verifyLogin(deps, meta("cache-c"), { transactionId: stale.transactionId, proof: { kind: "otp", code: code(secretHex, clock.now()), factorId: undefined } }, memory);
    expect(r).toMatchObject({ verified: false, reason: "provider_disabled" });
    await deaf.close();
  });

  it("is dropped at once by the replica whose AdminService stored a setting", async () => {
    clock.set(T0);
    await activeTotp("cache-d", "frank");
    const deaf = await deafCache();
    const transport = createRouterTransport((router) => {
      for (const r of createServices(app.deps, { tenantSettings: deaf })) router.service(r.service, r.impl);
    }, {
      router: {
        interceptors: [
          (next) => (req) => {
            req.contextValues.set(callerKey, { tenant: "cache-d", keyId: "k-admin", role: "admin" });
            return next(req);
          },
        ],
      },
    });
    const [auth, admin] = [createClient(AuthenticationService, transport), createClient(AdminService, transport)];
    const offered = async () => (await auth.challenge({ userId: "frank" })).providers.map((p) => p.provider);
    expect(await offered()).toContain(Provider.TOTP);
    expect(await offered()).toContain(Provider.TOTP);
    await admin.setProviderPolicy({ disabledKinds: [ProviderKind.TOTP] });
    // No notification reaches this copy; the handler that stored the policy dropped it.
    expect(await offered()).not.toContain(Provider.TOTP);
    await deaf.close();
  });
});
