import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FixedClock } from "../../src/domain/clock.js";
import { BadRequestSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { auditText, capturingLogger, clientsFor, metaFor, snapshot, START, type Clients, redeemBackupCode } from "./harness.js";

const CODE_SHAPE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;

let app: TestApp;
let rpc: Clients;
const clock = new FixedClock(START);
const log = capturingLogger();

beforeAll(async () => {
  app = await createTestApp({ clock });
  app.deps.logger = log.logger;
  rpc = clientsFor(app.deps);
});
afterAll(async () => app.close());

/** Waits until `n` statements of this test's database wait for a lock. */
async function waitForLockWaiters(n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const r = await app.db.query<{ n: number }>(
      "SELECT count(*)::integer AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    if ((r.rows[0]?.n ?? 0) >= n) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`fewer than ${n} statements waited for the lock`);
}

/** The field names of an INVALID_ARGUMENT's BadRequest detail. */
async function badFields(call: Promise<unknown>): Promise<string[]> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  const ce = err as ConnectError;
  expect(ce.code).toBe(Code.InvalidArgument);
  return ce.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

describe("GenerateBackupCodes", () => {
  it("issues ten distinct codes of four groups of four by default", async () => {
    const res = await rpc.backup.generateBackupCodes({ userId: "alice", count: 0 });
    expect(res.codes).toHaveLength(10);
    expect(new Set(res.codes).size).toBe(10);
    for (const code of res.codes) expect(code).toMatch(CODE_SHAPE);
    expect(res.generatedAt && timestampDate(res.generatedAt)).toEqual(clock.now());
  });

  it("issues between 1 and 20 codes on request", async () => {
    expect((await rpc.backup.generateBackupCodes({ userId: "one", count: 1 })).codes).toHaveLength(1);
    expect((await rpc.backup.generateBackupCodes({ userId: "twenty", count: 20 })).codes).toHaveLength(20);
  });

  it("stores only keyed hashes of the codes", async () => {
    const res = await rpc.backup.generateBackupCodes({ userId: "hashed", count: 3 });
    const rows = await app.db.query<{ code_hash: Buffer }>("SELECT code_hash FROM backup_codes WHERE user_id = 'hashed'");
    const stored = rows.rows.map((r) => r.code_hash.toString("hex")).sort();
    const expected = res.codes.map((c) => app.deps.keyring.keyedHash("backup-code", c.replace(/-/g, "")).toString("hex")).sort();
    expect(stored).toEqual(expected);
  });
});

describe("GetBackupCodeStatus", () => {
  it("reports zeros and no date for a user without codes", async () => {
    const res = await rpc.backup.getBackupCodeStatus({ userId: "nobody" });
    expect(res.total).toBe(0);
    expect(res.remaining).toBe(0);
    expect(res.generatedAt).toBeUndefined();
  });

  it("counts redeemed codes, and regeneration replaces the list", async () => {
    // Another test may have moved the shared clock on: times are from this test's start.
    const t0 = clock.now();
    const first = await rpc.backup.generateBackupCodes({ userId: "bob", count: 12 });
    await redeemBackupCode(app.deps, metaFor(), "bob", first.codes[0] ?? "");
    await redeemBackupCode(app.deps, metaFor(), "bob", first.codes[1] ?? "");
    let status = await rpc.backup.getBackupCodeStatus({ userId: "bob" });
    expect([status.total, status.remaining]).toEqual([12, 10]);
    expect(status.generatedAt && timestampDate(status.generatedAt)).toEqual(t0);

    clock.advance(60_000);
    const second = await rpc.backup.generateBackupCodes({ userId: "bob", count: 0 });
    status = await rpc.backup.getBackupCodeStatus({ userId: "bob" });
    expect([status.total, status.remaining]).toEqual([10, 10]);
    expect(status.generatedAt && timestampDate(status.generatedAt)).toEqual(new Date(t0.getTime() + 60_000));
    const rows = await app.db.query<{ n: number }>("SELECT count(*)::integer AS n FROM backup_codes WHERE user_id = 'bob'");
    expect(rows.rows[0]?.n).toBe(10);
    expect(await redeemBackupCode(app.deps, metaFor(), "bob", first.codes[5] ?? "")).toEqual({ ok: false, reason: "wrong_code" });
    expect(await redeemBackupCode(app.deps, metaFor(), "bob", second.codes[5] ?? "")).toEqual({ ok: true, remaining: 9 });
  });

  it("leaves exactly one whole list when two regenerations race", async () => {
    const [a, b] = await Promise.all([
      rpc.backup.generateBackupCodes({ userId: "racer", count: 7 }),
      rpc.backup.generateBackupCodes({ userId: "racer", count: 9 }),
    ]);
    const status = await rpc.backup.getBackupCodeStatus({ userId: "racer" });
    const rows = await app.db.query<{ code_hash: Buffer }>("SELECT code_hash FROM backup_codes WHERE user_id = 'racer'");
    const stored = rows.rows.map((r) => r.code_hash.toString("hex")).sort();
    const hashesOf = (codes: string[]) => codes.map((c) => app.deps.keyring.keyedHash("backup-code", c.replace(/-/g, "")).toString("hex")).sort();
    const survivor = stored.length === 7 ? a : b;
    expect(stored).toEqual(hashesOf(survivor.codes));
    expect([status.total, status.remaining]).toEqual([survivor.codes.length, survivor.codes.length]);
  });

  it("leaves one whole list when a regeneration's snapshot is older than the list it replaces", async () => {
    // Held here: the header's row lock. Both regenerations start (each takes
    // its snapshot) and wait for it; once it is released, the first commits,
    // and the second gets the lock with a snapshot that cannot see the
    // first's codes. Its statement must not leave them working.
    const hashesOf = (codes: string[]) => codes.map((c) => app.deps.keyring.keyedHash("backup-code", c.replace(/-/g, "")).toString("hex")).sort();
    await rpc.backup.generateBackupCodes({ userId: "stale", count: 3 });
    const [a, b] = await app.db.transaction(async (tx) => {
      await tx.query("SELECT 1 FROM backup_code_lists WHERE user_id = 'stale' FOR UPDATE");
      const both = Promise.all([rpc.backup.generateBackupCodes({ userId: "stale", count: 7 }), rpc.backup.generateBackupCodes({ userId: "stale", count: 9 })]);
      await waitForLockWaiters(2);
      return { both };
    }).then((held) => held.both);
    const rows = await app.db.query<{ code_hash: Buffer }>("SELECT code_hash FROM backup_codes WHERE user_id = 'stale'");
    const stored = rows.rows.map((r) => r.code_hash.toString("hex")).sort();
    const survivor = stored.length === 7 ? a : b;
    expect(stored).toEqual(hashesOf(survivor.codes));
    const status = await rpc.backup.getBackupCodeStatus({ userId: "stale" });
    expect([status.total, status.remaining]).toEqual([survivor.codes.length, survivor.codes.length]);
    const loser = survivor === a ? b : a;
    expect(await redeemBackupCode(app.deps, metaFor(), "stale", loser.codes[0] ?? "")).toEqual({ ok: false, reason: "wrong_code" });
  });

  it("keeps tenants apart", async () => {
    await rpc.backup.generateBackupCodes({ userId: "shared-name", count: 4 });
    const other = clientsFor(app.deps, { tenant: "tenant-b", keyId: "key-b", role: "service" });
    const res = await other.backup.getBackupCodeStatus({ userId: "shared-name" });
    expect([res.total, res.remaining]).toEqual([0, 0]);
  });
});

describe("bad input to the backup code RPCs", () => {
  const cases: [string, () => Promise<unknown>, string[]][] = [
    ["an empty user_id", () => rpc.backup.generateBackupCodes({ userId: "", count: 5 }), ["user_id"]],
    ["a user_id over 256 bytes", () => rpc.backup.generateBackupCodes({ userId: "é".repeat(129), count: 5 }), ["user_id"]],
    ["a user_id with a control character", () => rpc.backup.generateBackupCodes({ userId: "a\u0000b", count: 5 }), ["user_id"]],
    ["a user_id with U+FFFD", () => rpc.backup.generateBackupCodes({ userId: "a\uFFFDb", count: 5 }), ["user_id"]],
    ["a count of 21", () => rpc.backup.generateBackupCodes({ userId: "carol", count: 21 }), ["count"]],
    ["a huge count", () => rpc.backup.generateBackupCodes({ userId: "carol", count: 4_000_000_000 }), ["count"]],
    ["two bad fields at once", () => rpc.backup.generateBackupCodes({ userId: "", count: 99 }), ["user_id", "count"]],
    ["a status request with an empty user_id", () => rpc.backup.getBackupCodeStatus({ userId: "" }), ["user_id"]],
    ["a user_id with a lone surrogate", () => rpc.backup.generateBackupCodes({ userId: "a\ud800", count: 5 }), ["user_id"]],
    ["a status request with a DEL character", () => rpc.backup.getBackupCodeStatus({ userId: "x\u007f" }), ["user_id"]],
  ];
  it.each(cases)("answers INVALID_ARGUMENT naming the field for %s, changing nothing", async (_what, call, fields) => {
    const before = await snapshot(app.db);
    expect(await badFields(call())).toEqual(fields);
    expect(await snapshot(app.db)).toBe(before);
  });

  it("accepts a user_id of exactly 256 bytes", async () => {
    const res = await rpc.backup.generateBackupCodes({ userId: "é".repeat(128), count: 1 });
    expect(res.codes).toHaveLength(1);
  });
});

describe("secrets", () => {
  it("keeps codes out of audit rows and log lines", async () => {
    const res = await rpc.backup.generateBackupCodes({ userId: "secretive", count: 5 });
    await redeemBackupCode(app.deps, metaFor(), "secretive", res.codes[0] ?? "");
    await redeemBackupCode(app.deps, metaFor(), "secretive", res.codes[1] ?? "");
    const audit = await auditText(app.db);
    const logs = log.lines.join("\n");
    expect(logs).toContain("backup_codes.running_low");
    expect(audit).toContain("backup_codes.generated");
    for (const code of res.codes) {
      const plain = code.replace(/-/g, "");
      const hash = app.deps.keyring.keyedHash("backup-code", plain);
      for (const secret of [code, plain, code.slice(0, 9), hash.toString("hex"), hash.toString("base64")]) {
        expect(audit).not.toContain(secret);
        expect(logs).not.toContain(secret);
      }
    }
  });
});
