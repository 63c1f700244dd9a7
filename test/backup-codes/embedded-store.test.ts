import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { createAppPassword } from "../../src/domain/app-passwords/create.js";
import { listAppPasswords } from "../../src/domain/app-passwords/list.js";
import { revokeAppPassword } from "../../src/domain/app-passwords/revoke.js";
import { verifyAppPassword } from "../../src/domain/app-passwords/verify.js";
import { generateBackupCodes } from "../../src/domain/backup-codes/index.js";
import { getBackupCodeStatus } from "../../src/domain/backup-codes/status.js";
import { FixedClock } from "../../src/domain/clock.js";
import { auditKinds, metaFor, START, redeemBackupCode } from "./harness.js";
import { openEmbeddedApp } from "../support/embedded-app.js";

/** The same backup code and app password flows on the embedded store (PGlite), which `twofold serve` uses without DATABASE_URL. */
describe("backup codes and app passwords on the embedded store", () => {
  let deps: AppDeps;
  let close: () => Promise<void>;
  const clock = new FixedClock(START);
  beforeAll(async () => {
    ({ deps, close } = await openEmbeddedApp(clock, "backup-codes-embedded"));
  });
  afterAll(async () => close());

  it("generates, redeems once, reports status and replaces the list", async () => {
    const first = await generateBackupCodes(deps, metaFor(), "erin", 4);
    const code = first.codes[0] ?? "";
    const outcomes = await Promise.all([1, 2, 3].map(() => redeemBackupCode(deps, metaFor(), "erin", code.toLowerCase())));
    expect(outcomes.filter((o) => o.ok)).toEqual([{ ok: true, remaining: 3 }]);
    expect(await getBackupCodeStatus(deps, "tenant-a", "erin")).toEqual({ total: 4, remaining: 3, generatedAt: START });
    await generateBackupCodes(deps, metaFor(), "erin", 10);
    expect(await redeemBackupCode(deps, metaFor(), "erin", first.codes[1] ?? "")).toEqual({ ok: false, reason: "wrong_code" });
    expect(await getBackupCodeStatus(deps, "tenant-a", "erin")).toEqual({ total: 10, remaining: 10, generatedAt: START });
    expect((await auditKinds(deps.db, "erin")).filter((k) => k.startsWith("backup_codes."))).toEqual([
      "backup_codes.generated",
      "backup_codes.redeemed",
      "backup_codes.running_low",
      "backup_codes.generated",
    ]);
  });

  it("creates, verifies, lists and revokes an app password", async () => {
    const created = await createAppPassword(deps, metaFor(), { userId: "erin", name: "laptop", scopes: ["imap"], ttlMs: 3_600_000 });
    const ok = await verifyAppPassword(deps, metaFor(), { userId: "erin", password: created.password, requiredScope: "imap" });
    expect(ok.ok).toBe(true);
    const [listed] = await listAppPasswords(deps, "tenant-a", "erin");
    expect(listed).toMatchObject({ id: created.appPassword.id, scopes: ["imap"], lastUsedAt: START, lastUsedIp: "203.0.113.7" });
    await revokeAppPassword(deps, metaFor(), "erin", created.appPassword.id);
    const refused = await verifyAppPassword(deps, metaFor(), { userId: "erin", password: created.password, requiredScope: "imap" });
    expect(refused).toMatchObject({ ok: false, reason: "revoked" });
  });
});
