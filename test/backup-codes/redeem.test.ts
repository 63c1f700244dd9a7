import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FixedClock } from "../../src/domain/clock.js";
import { generateBackupCodes } from "../../src/domain/backup-codes/index.js";
import { getBackupCodeStatus } from "../../src/domain/backup-codes/index.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { auditKinds, metaFor, OTHER_TENANT, scriptedRandom, START, redeemBackupCode } from "./harness.js";

/** Codes the scripted randomness hands out first, so the tests know them in advance. */
const KNOWN = ["0123456789ABCDEF", "1010Z0Z1ABCDEFGH", "GHJKMNPQRSTVWXYZ", "00001111222233JK", "1101ABAB11012345"];

let app: TestApp;
const clock = new FixedClock(START);
const random = scriptedRandom();

beforeAll(async () => {
  app = await createTestApp({ clock, random });
});
afterAll(async () => app.close());

describe("redeeming backup codes", () => {
  it("accepts the same code exactly once when redeemed 20 times concurrently", async () => {
    const { codes } = await generateBackupCodes(app.deps, metaFor(), "race", 10);
    const code = codes[3] ?? "";
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => redeemBackupCode(app.deps, metaFor(), "race", code)));
    expect(outcomes.filter((o) => o.ok)).toEqual([{ ok: true, remaining: 9 }]);
    expect(outcomes.filter((o) => !o.ok)).toHaveLength(19);
    expect((await getBackupCodeStatus(app.deps, "tenant-a", "race")).remaining).toBe(9);
  });

  it("refuses a used code", async () => {
    const { codes } = await generateBackupCodes(app.deps, metaFor(), "reuse", 3);
    const code = codes[0] ?? "";
    expect(await redeemBackupCode(app.deps, metaFor(), "reuse", code)).toEqual({ ok: true, remaining: 2 });
    expect(await redeemBackupCode(app.deps, metaFor(), "reuse", code)).toEqual({ ok: false, reason: "wrong_code" });
  });

  it("refuses a code from a replaced list and accepts the new list", async () => {
    const old = await generateBackupCodes(app.deps, metaFor(), "replaced", 5);
    const fresh = await generateBackupCodes(app.deps, metaFor(), "replaced", 5);
    for (const code of old.codes) {
      expect(await redeemBackupCode(app.deps, metaFor(), "replaced", code)).toEqual({ ok: false, reason: "wrong_code" });
    }
    expect(await redeemBackupCode(app.deps, metaFor(), "replaced", fresh.codes[0] ?? "")).toEqual({ ok: true, remaining: 4 });
  });

  it("refuses another user's code and another tenant's code", async () => {
    const { codes } = await generateBackupCodes(app.deps, metaFor(), "owner", 2);
    const code = codes[0] ?? "";
    expect(await redeemBackupCode(app.deps, metaFor(), "someone-else", code)).toEqual({ ok: false, reason: "wrong_code" });
    expect(await redeemBackupCode(app.deps, metaFor(OTHER_TENANT), "owner", code)).toEqual({ ok: false, reason: "wrong_code" });
    expect(await redeemBackupCode(app.deps, metaFor(), "owner", code)).toEqual({ ok: true, remaining: 1 });
  });

  it("audits running low once three or fewer codes remain", async () => {
    const { codes } = await generateBackupCodes(app.deps, metaFor(), "low", 5);
    await redeemBackupCode(app.deps, metaFor(), "low", codes[0] ?? "");
    expect((await auditKinds(app.db, "low")).filter((k) => k.startsWith("backup_codes."))).toEqual(["backup_codes.generated", "backup_codes.redeemed"]);
    await redeemBackupCode(app.deps, metaFor(), "low", codes[1] ?? "");
    expect((await auditKinds(app.db, "low")).filter((k) => k.startsWith("backup_codes."))).toEqual([
      "backup_codes.generated",
      "backup_codes.redeemed",
      "backup_codes.redeemed",
      "backup_codes.running_low",
    ]);
    const low = await app.db.query<{ details: { remaining: number }; api_key_id: string; client_ip: string }>(
      "SELECT details, api_key_id, client_ip FROM audit_events WHERE user_id = 'low' AND kind = 'backup_codes.running_low'",
    );
    expect(low.rows).toEqual([{ details: { remaining: 3 }, api_key_id: "key-service-1", client_ip: "203.0.113.7" }]);
  });
});

describe("normalising typed backup codes", () => {
  // Each test has a user of its own whose list is KNOWN followed by random
  // codes, so the tests hold in any order.
  let typist = "";
  let n = 0;
  beforeEach(async () => {
    typist = `typist-${++n}`;
    random.script(KNOWN);
    const { codes } = await generateBackupCodes(app.deps, metaFor(), typist, 10);
    expect(codes.slice(0, 5)).toEqual(["0123-4567-89AB-CDEF", "1010-Z0Z1-ABCD-EFGH", "GHJK-MNPQ-RSTV-WXYZ", "0000-1111-2222-33JK", "1101-ABAB-1101-2345"]);
  });

  const refused = [
    ["a code differing in one character", "0123-4567-89AB-CDEE"],
    ["U typed for V", "GHJK-MNPQ-RSTU-WXYZ"],
    ["an extra character", "0123-4567-89AB-CDEF0"],
    ["an extra trailing group", "0123-4567-89AB-CDEF-0000"],
    ["a missing character", "0123-4567-89AB-CDE"],
    ["underscores as separators", "0123_4567_89AB_CDEF"],
    ["dots as separators", "0123.4567.89AB.CDEF"],
    ["a tab as separator", "0123\t4567-89AB-CDEF"],
    ["a dotless i for 1", "0\u013123-4567-89AB-CDEF"],
    ["full-width digits", "\uff10123-4567-89AB-CDEF"],
    ["an empty code", ""],
  ] as const;
  it.each(refused)("refuses %s", async (_what, typed) => {
    expect(await redeemBackupCode(app.deps, metaFor(), typist, typed)).toEqual({ ok: false, reason: "wrong_code" });
    expect((await getBackupCodeStatus(app.deps, "tenant-a", typist)).remaining).toBe(10);
  });

  it.each([
    ["lower case", "0123-4567-89ab-cdef"],
    ["spaces instead of dashes and O typed for 0", "1O1O ZOZ1 ABCD EFGH"],
    ["the code without separators in mixed case", "ghjkMNPQrstvWXYZ"],
    ["I and lower-case o for 0 and 1", "oooo-IIII-2222-33jk"],
    ["L and l typed for 1", "lL0l-abab-LL0L-2345"],
  ] as const)("accepts %s, once", async (_what, typed) => {
    expect(await redeemBackupCode(app.deps, metaFor(), typist, typed)).toEqual({ ok: true, remaining: 9 });
    expect(await redeemBackupCode(app.deps, metaFor(), typist, typed)).toEqual({ ok: false, reason: "wrong_code" });
  });
});
