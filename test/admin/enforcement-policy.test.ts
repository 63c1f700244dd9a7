import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FixedClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { challenge } from "../../src/domain/login/index.js";
import {
  isEnforced,
  loadEnforcementPolicy,
  parseEnforcementPolicy,
  type EnforcementPolicy,
} from "../../src/domain/policy/index.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { adminCaller, adminClient, insertFactor, invalidFields, snapshot } from "./admin-client.js";

const policy = (enforced: boolean): EnforcementPolicy => ({
  enforced,
  includeGroups: ["finance", "admins"],
  excludeGroups: ["robots", "kiosk"],
});

/** Every row of the decision table in enforcement.ts: group membership × enforced-for-all. */
const TABLE: { groups: string[]; membership: string; off: boolean; on: boolean }[] = [
  { groups: ["staff"], membership: "in neither list", off: false, on: true },
  { groups: [], membership: "in no group at all", off: false, on: true },
  { groups: ["staff", "finance"], membership: "in an include group only", off: true, on: true },
  { groups: ["robots"], membership: "in an exclude group only", off: false, on: false },
  { groups: ["kiosk", "admins"], membership: "in both an include and an exclude group", off: true, on: true },
];

describe("isEnforced", () => {
  for (const row of TABLE) {
    it(`decides ${row.off ? "enforced" : "not enforced"} for a user ${row.membership} when enforced-for-all is off`, () => {
      expect(isEnforced(policy(false), row.groups)).toBe(row.off);
    });
    it(`decides ${row.on ? "enforced" : "not enforced"} for a user ${row.membership} when enforced-for-all is on`, () => {
      expect(isEnforced(policy(true), row.groups)).toBe(row.on);
    });
  }

  it("exempts exclude-group members from enforced-for-all when there are no include groups", () => {
    const p = { enforced: true, includeGroups: [], excludeGroups: ["robots"] };
    expect(isEnforced(p, ["robots"])).toBe(false);
    expect(isEnforced(p, ["humans"])).toBe(true);
  });

  it("enforces nobody under the default policy", () => {
    expect(isEnforced({ enforced: false, includeGroups: [], excludeGroups: [] }, ["anyone"])).toBe(false);
  });

  it("compares group names exactly, case included", () => {
    expect(isEnforced({ enforced: false, includeGroups: ["Finance"], excludeGroups: [] }, ["finance"])).toBe(false);
  });
});

describe("parseEnforcementPolicy", () => {
  it("deduplicates groups, keeping the caller's order", () => {
    const p = parseEnforcementPolicy({ enforced: false, includeGroups: ["b", "a", "b"], excludeGroups: ["x", "x"] });
    expect(p.includeGroups).toEqual(["b", "a"]);
    expect(p.excludeGroups).toEqual(["x"]);
  });

  it("names every bad entry at once by its index", () => {
    let err: unknown;
    try {
      parseEnforcementPolicy({ enforced: true, includeGroups: [""], excludeGroups: ["a\nb"] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).details.violations?.map((v) => v.field)).toEqual(["include_groups[0]", "exclude_groups[0]"]);
  });

  it("accepts 128-character names and 100 groups, refuses 129 characters and 101 groups", () => {
    const many = Array.from({ length: 100 }, (_, i) => `g${i}`);
    expect(() => parseEnforcementPolicy({ enforced: false, includeGroups: many, excludeGroups: ["é".repeat(128)] })).not.toThrow();
    expect(() => parseEnforcementPolicy({ enforced: false, includeGroups: [...many, "g100"], excludeGroups: [] })).toThrow(DomainError);
    expect(() => parseEnforcementPolicy({ enforced: false, includeGroups: [], excludeGroups: ["x".repeat(129)] })).toThrow(DomainError);
  });
});

describe("enforcement policy over the API", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ clock: new FixedClock(new Date("2026-03-01T10:00:00Z")) });
  });
  afterAll(async () => {
    await app.close();
  });

  it("reports nobody enforced for a tenant that never set a policy", async () => {
    const res = await adminClient(app.deps, adminCaller("fresh")).getEnforcementPolicy({});
    expect(res.policy).toMatchObject({ enforced: false, includeGroups: [], excludeGroups: [] });
  });

  it("round-trips a policy, deduplicated, and audits who set it", async () => {
    const client = adminClient(app.deps, adminCaller("acme", "admin-key-1"));
    const set = await client.setEnforcementPolicy({ enforced: true, includeGroups: ["ops", "ops"], excludeGroups: ["svc"] });
    expect(set.policy).toMatchObject({ enforced: true, includeGroups: ["ops"], excludeGroups: ["svc"] });
    const got = await client.getEnforcementPolicy({});
    expect(got.policy).toMatchObject({ enforced: true, includeGroups: ["ops"], excludeGroups: ["svc"] });
    const audit = await app.db.query<{ api_key_id: string; kind: string }>(
      `SELECT api_key_id, kind FROM audit_events WHERE tenant_id = 'acme' AND kind = 'admin.enforcement_policy_set'`,
    );
    expect(audit.rows).toEqual([{ api_key_id: "admin-key-1", kind: "admin.enforcement_policy_set" }]);
  });

  it("keeps each tenant's policy to itself", async () => {
    await adminClient(app.deps, adminCaller("t-one")).setEnforcementPolicy({ enforced: true });
    const other = await adminClient(app.deps, adminCaller("t-two")).getEnforcementPolicy({});
    expect(other.policy?.enforced).toBe(false);
  });

  it("replaces the whole policy on a second set", async () => {
    const client = adminClient(app.deps, adminCaller("replace"));
    await client.setEnforcementPolicy({ enforced: true, includeGroups: ["a"], excludeGroups: ["b"] });
    await client.setEnforcementPolicy({ enforced: false, includeGroups: ["c"] });
    expect(await loadEnforcementPolicy(app.db, "replace")).toEqual({ enforced: false, includeGroups: ["c"], excludeGroups: [] });
  });

  it("refuses bad group lists naming the field and changes nothing", async () => {
    const client = adminClient(app.deps, adminCaller("acme"));
    const before = await snapshot(app.db);
    const fields = await invalidFields(
      client.setEnforcementPolicy({ enforced: false, includeGroups: ["ok", "x".repeat(129)], excludeGroups: ["tab\there"] }),
    );
    expect(fields).toEqual(["include_groups[1]", "exclude_groups[0]"]);
    expect(await invalidFields(client.setEnforcementPolicy({ includeGroups: Array.from({ length: 101 }, (_, i) => `g${i}`) }))).toEqual([
      "include_groups",
    ]);
    expect(await snapshot(app.db)).toEqual(before);
  });

  it("tells the login flow enrolment is required only for an enforced user with no active factor", async () => {
    await adminClient(app.deps, adminCaller("login")).setEnforcementPolicy({ enforced: false, includeGroups: ["finance"], excludeGroups: ["robots"] });
    await insertFactor(app.db, "login", "has-factor", "totp", { id: "00000000-0000-4000-8000-00000000c0de", at: app.deps.clock.now() });
    const required = async (tenant: string, userId: string, userGroups: string[]): Promise<boolean> =>
      (await challenge(app.deps, { caller: adminCaller(tenant), clientIp: "", requestId: "r" }, { userId, userGroups })).enrolmentRequired;
    expect(await required("login", "no-factor", ["finance"])).toBe(true);
    expect(await required("login", "has-factor", ["finance"])).toBe(false);
    expect(await required("login", "no-factor", ["sales"])).toBe(false);
    expect(await required("login", "no-factor", ["robots"])).toBe(false);
    expect(await required("no-policy", "no-factor", ["finance"])).toBe(false);
  });
});
