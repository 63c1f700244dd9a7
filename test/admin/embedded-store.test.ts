import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { clearThrottle, getUserState, listAuditEvents, resetSecondFactor } from "../../src/domain/admin/index.js";
import { generateBackupCodes } from "../../src/domain/backup-codes/index.js";
import { FixedClock } from "../../src/domain/clock.js";
import { challenge } from "../../src/domain/login/index.js";
import { loadEnforcementPolicy, parseEnforcementPolicy, setEnforcementPolicy } from "../../src/domain/policy/index.js";
import { parseRelyingParty, relyingPartyFor, setRelyingParty } from "../../src/domain/relying-party/index.js";
import { adminCaller, insertFactor, metaOf } from "./admin-client.js";
import { openEmbeddedApp } from "../support/embedded-app.js";

const T0 = new Date("2026-03-01T10:00:00Z");

/** The same admin operations on the embedded store (PGlite), which `twofold serve` uses without DATABASE_URL. */
describe("admin on the embedded store", () => {
  let deps: AppDeps;
  let close: () => Promise<void>;
  const meta = metaOf(adminCaller("acme", "admin-key-e"));
  beforeAll(async () => {
    ({ deps, close } = await openEmbeddedApp(new FixedClock(T0), "admin-embedded"));
  });
  afterAll(async () => close());

  it("stores and reads the policy and the relying party", async () => {
    await setEnforcementPolicy(deps, meta, parseEnforcementPolicy({ enforced: false, includeGroups: ["ops", "ops"], excludeGroups: ["svc"] }));
    expect(await loadEnforcementPolicy(deps.db, "acme")).toEqual({ enforced: false, includeGroups: ["ops"], excludeGroups: ["svc"] });
    expect((await challenge(deps, meta, { userId: "new-user", userGroups: ["ops"] })).enrolmentRequired).toBe(true);
    await setRelyingParty(deps, meta, parseRelyingParty({ rpId: "acme.test", rpName: "ACME", allowedOrigins: ["https://acme.test/"], allowedAaguids: [] }));
    expect(await relyingPartyFor(deps, "acme")).toEqual({ rpId: "acme.test", rpName: "ACME", allowedOrigins: ["https://acme.test"], allowedAaguids: [] });
  });

  it("resets a user, clears the throttle and pages through the audit trail", async () => {
    await insertFactor(deps.db, "acme", "bob", "totp", { id: "00000000-0000-4000-8000-0000000000e1", at: T0 });
    await generateBackupCodes(deps, meta, "bob", 10);
    const res = await resetSecondFactor(deps, meta, "bob", "all");
    expect(res).toEqual({ factorsRemoved: 1, backupCodesRemoved: true, appPasswordsRevoked: 0 });
    await clearThrottle(deps, meta, "bob");
    const state = await getUserState(deps, "acme", "bob");
    expect(state.factors).toEqual([]);
    expect(state.backupCodes.remaining).toBe(0);

    // Bob's events only: the other test's policy changes are the tenant's too.
    const first = await listAuditEvents(deps, "acme", { userId: "bob", pageSize: 2, pageToken: "", maxResponseBytes: 65536 });
    const rest = await listAuditEvents(deps, "acme", { userId: "bob", pageSize: 500, pageToken: first.nextPageToken, maxResponseBytes: 65536 });
    const ids = [...first.events, ...rest.events].map((e) => e.id);
    expect([...first.events, ...rest.events].map((e) => e.kind)).toEqual([
      "admin.throttle_cleared",
      "admin.second_factor_reset",
      "factor.removed",
      "backup_codes.generated",
    ]);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(ids.length);
    expect(first.events[0]?.kind).toBe("admin.throttle_cleared");
  });
});
