import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.js";
import { totpCode } from "../../src/core/index.js";
import { createKeyring } from "../../src/crypto/keyring-aes.js";
import { readAuditEvents } from "../../src/domain/audit/index.js";
import type { RequestMeta } from "../../src/domain/caller.js";
import { FixedClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { listFactors, removeFactor, renameFactor } from "../../src/domain/factors/index.js";
import { challenge, verifyLogin } from "../../src/domain/login/index.js";
import { seededRandom } from "../support/random.js";
import { confirmOtpEnrolment } from "../../src/domain/otp/index.js";
import { enrolTotp } from "../support/otp.js";
import { openEmbeddedDb } from "../../src/store/embedded.js";
import { migrate } from "../../src/store/migrate.js";
import { testConfig } from "../support/app.js";

const T0 = new Date("2026-05-01T08:00:03Z");
const META: RequestMeta = { caller: { tenant: "emb", keyId: "k-emb", role: "service" }, clientIp: "203.0.113.9", requestId: "r1" };
const SPEC = { algorithm: "SHA256" as const, digits: 8, periodSeconds: 60, secret: new Uint8Array(0), issuer: "", accountName: "", tokenProfile: "software" as const };

/** The TOTP flow on the embedded store (PGlite), which `twofold serve` uses without DATABASE_URL. */
describe("TOTP on the embedded store", () => {
  let dir: string;
  let deps: AppDeps;
  const logLines: string[] = [];
  const clock = new FixedClock(T0);
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "twofold-totp-"));
    const db = await openEmbeddedDb(dir);
    await migrate(db);
    const config = testConfig();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString("utf8"));
        done();
      },
    });
    deps = {
      config,
      db,
      keyring: createKeyring(config.keys, config.pepper ?? Buffer.alloc(32)),
      clock,
      random: seededRandom("domain-embedded"),
      logger: pino({ level: "info" }, sink),
    };
  });
  afterAll(async () => {
    await deps.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("enrols, confirms, logs in, refuses a replay, throttles, renames and removes", async () => {
    const user = "emma";
    const { factor, enrolment } = await enrolTotp(deps, META, { userId: user, label: "Phone", spec: SPEC });
    const key = Buffer.from(enrolment.secretHex, "hex");
    const codeAt = (d: Date) => totpCode(key, "SHA256", 8, 60, Math.floor(d.getTime() / 1000));
    expect((await confirmOtpEnrolment(deps, META, { userId: user, factorId: factor.id, code: codeAt(T0) })).confirmed).toBe(true);

    clock.advance(120_000);
    const code = codeAt(clock.now());
    const tx1 = await challenge(deps, META, { userId: user, userGroups: [] });
    expect(tx1.secondFactorRequired).toBe(true);
    const ok = await verifyLogin(deps, META, { transactionId: tx1.transactionId, proof: { kind: "otp", code, factorId: undefined } });
    expect(ok.verified).toBe(true);
    const tx2 = await challenge(deps, META, { userId: user, userGroups: [] });
    const replay = await verifyLogin(deps, META, { transactionId: tx2.transactionId, proof: { kind: "otp", code, factorId: undefined } });
    expect(replay).toEqual({ verified: false, reason: "replayed" });
    for (let i = 0; i < 4; i++) await verifyLogin(deps, META, { transactionId: tx2.transactionId, proof: { kind: "otp", code: "00000000", factorId: undefined } });
    const tx3 = await challenge(deps, META, { userId: user, userGroups: [] });
    const blocked = await verifyLogin(deps, META, { transactionId: tx3.transactionId, proof: { kind: "otp", code, factorId: undefined } }).catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(DomainError);
    expect((blocked as DomainError).details.retryAfterMs).toBe(1000);

    expect((await renameFactor(deps, META, { userId: user, factorId: factor.id, label: "Old phone" })).label).toBe("Old phone");
    await removeFactor(deps, META, { userId: user, factorId: factor.id });
    expect(await listFactors(deps, "emb", user)).toEqual([]);

    const kinds = (await readAuditEvents(deps.db, "emb", { userId: user })).map((e) => e.kind);
    expect(kinds.filter((k) => k === "verify.failed")).toHaveLength(5);
    expect(kinds).toContain("throttle.blocked");

    // One structured log line per audit event, and no code or secret in any line.
    const auditLines = logLines.filter((l) => l.includes('"msg":"audit"'));
    expect(auditLines.length).toBe(kinds.length);
    const everything = logLines.join("");
    for (const s of [code, codeAt(T0), enrolment.secretHex, enrolment.secretBase32]) expect(everything).not.toContain(s);
  });
});
