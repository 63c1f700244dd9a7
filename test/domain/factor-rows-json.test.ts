import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FACTOR_COLUMNS, factorRowsFromJson, factorRowsJsonSql, type FactorRow } from "../../src/domain/factors/index.js";
import { otpVerifyBasisSql } from "../../src/domain/otp/index.js";
import { factorColumns } from "../../src/domain/factors/row.js";
import { otpCandidatesSql } from "../../src/domain/otp/store.js";
import { providerPolicyJsonSql } from "../../src/domain/policy/index.js";
import { Statement } from "../../src/store/statement.js";
import type { Db } from "../../src/store/db.js";
import { openEmbeddedDb } from "../../src/store/embedded.js";
import { migrate } from "../../src/store/migrate.js";
import { createPgDb } from "../../src/store/pg.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";

/**
 * Statements that answer in one row return their factors as one JSON value
 * (factorRowsJsonSql), and factorRowsFromJson must give back exactly the
 * rows a plain SELECT decodes, on both backends: every column of every kind
 * filled, timestamps with microseconds, bytea, arrays and nulls.
 */
const ROWS = `INSERT INTO factors (tenant_id, user_id, id, kind, label, state, created_at, confirmed_at, last_used_at, pending_expires_at,
    algorithm, digits, period_seconds, token_profile, secret_sealed, last_step, drift_steps, resync_step, resync_offset,
    webauthn_challenge, credential_id, public_key, sign_count, transports, aaguid, backup_eligible, backed_up, clone_suspected)
  VALUES
  ('t', 'u', '00000000-0000-4000-8000-000000000003', 'totp', 'Phone "work"', 'active', '2026-03-01 12:00:05.123456+00', '2026-03-01 12:00:06.5+00',
   '2026-03-01 12:30:00.000001+00', NULL, 'SHA256', 8, 60, 'nitrokey', '\\x00ff10a0', 59078882, -2, 59078890, 3,
   NULL, NULL, NULL, 0, '[]', NULL, false, false, false),
  ('t', 'u', '00000000-0000-4000-8000-000000000002', 'hotp', 'Token ✓', 'pending', '2026-03-01 12:00:05.123456+00', NULL,
   NULL, '2026-03-01 12:10:05.999999+00', 'SHA1', 6, NULL, 'software', '\\xdeadbeef', 41, 0, NULL, NULL,
   NULL, NULL, NULL, 0, '[]', NULL, false, false, false),
  ('t', 'u', '00000000-0000-4000-8000-000000000001', 'webauthn', 'Key', 'active', '2026-02-28 23:59:59+00', '2026-03-01 00:00:00+00',
   NULL, NULL, NULL, NULL, NULL, 'software', NULL, -1, 0, NULL, NULL,
   'Y2hhbGxlbmdl', 'Y3JlZGVudGlhbA', '\\xa50102032620', 4294967295, '["usb", "nfc"]', 'ee882879-721c-4913-9775-3dfcce97072a', true, true, true),
  ('t', 'other', '00000000-0000-4000-8000-000000000004', 'passwordless', 'Other', 'active', '2026-03-01 12:00:00+00', NULL,
   NULL, NULL, NULL, NULL, NULL, 'software', NULL, -1, 0, NULL, NULL,
   NULL, 'b3RoZXI', '\\x01', 7, '["internal"]', NULL, false, false, false)`;

async function compare(db: Db): Promise<{ plain: FactorRow[]; fromJson: FactorRow[] }> {
  await db.query(ROWS);
  const plain = await db.query<FactorRow>(`SELECT ${FACTOR_COLUMNS}, xmin::text AS row_version FROM factors ORDER BY created_at, id`);
  const json = await db.query<{ j: Record<string, unknown>[] | null }>(
    `SELECT ${factorRowsJsonSql(`(SELECT ${FACTOR_COLUMNS}, xmin::text AS row_version FROM factors)`)} AS j`,
  );
  const none = await db.query<{ j: Record<string, unknown>[] | null }>(
    `SELECT ${factorRowsJsonSql(`(SELECT ${FACTOR_COLUMNS} FROM factors WHERE false)`)} AS j`,
  );
  expect(factorRowsFromJson(none.rows[0]?.j ?? null)).toEqual([]);
  return { plain: plain.rows, fromJson: factorRowsFromJson(json.rows[0]?.j ?? null) };
}

describe("factor rows as one JSON value", () => {
  let database: TestDatabase;
  let pgDb: Db;
  const dir = mkdtempSync(join(tmpdir(), "twofold-factor-json-"));
  let embedded: Db;
  beforeAll(async () => {
    database = await createTestDatabase();
    pgDb = createPgDb({ url: database.url, poolSize: 2 });
    await migrate(pgDb);
    embedded = await openEmbeddedDb(dir);
    await migrate(embedded);
  });
  afterAll(async () => {
    await pgDb?.close();
    await database?.drop();
    await embedded?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([["postgres"], ["embedded"]])("decode to the rows a plain SELECT gives (%s)", async (backend) => {
    const { plain, fromJson } = await compare(backend === "postgres" ? pgDb : embedded);
    expect(plain.map((r) => r.id)).toEqual([
      "00000000-0000-4000-8000-000000000001",
      "00000000-0000-4000-8000-000000000004",
      // Created in the same microsecond: by id.
      "00000000-0000-4000-8000-000000000002",
      "00000000-0000-4000-8000-000000000003",
    ]);
    expect(fromJson).toEqual(plain);
    // The same types, not just equal-looking values.
    const totp = fromJson[3];
    expect(totp?.created_at).toBeInstanceOf(Date);
    expect(Buffer.isBuffer(totp?.secret_sealed)).toBe(true);
    expect(totp?.secret_sealed?.toString("hex")).toBe("00ff10a0");
    expect(fromJson[0]?.public_key?.toString("hex")).toBe("a50102032620");
    expect(typeof totp?.last_step).toBe("number");
  });

  /**
   * Challenge's read of the user's active factors leaves out the columns its
   * WHERE clause fixes (tenant, user, state); told them, the decoder gives
   * back the rows a plain SELECT of every column decodes.
   */
  it.each([["postgres"], ["embedded"]])("decode a read that leaves out its known columns to the full rows (%s)", async (backend) => {
    const db = backend === "postgres" ? pgDb : embedded;
    // The rows of the first test, whether or not it ran first.
    await db.query(`${ROWS} ON CONFLICT DO NOTHING`);
    const where = "FROM factors WHERE tenant_id = 't' AND user_id = 'u' AND state = 'active'";
    const plain = await db.query<FactorRow>(`SELECT ${FACTOR_COLUMNS} ${where} ORDER BY created_at, id`);
    const lean = factorColumns("", [], true);
    expect(lean).not.toMatch(/tenant_id|user_id|\bstate\b/);
    const json = await db.query<{ j: Record<string, unknown>[] | null }>(`SELECT ${factorRowsJsonSql(`(SELECT ${lean} ${where})`)} AS j`);
    const got = factorRowsFromJson(json.rows[0]?.j ?? null, { tenant_id: "t", user_id: "u", state: "active" });
    expect(got.map((r) => r.id)).toEqual(["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000003"]);
    expect(got).toEqual(plain.rows);
  });

  /**
   * twofold_otp_verify_basis (migration 090) repeats the provider policy's
   * and the OTP candidates' reads in SQL: it must answer what the stores'
   * own statements read, for the active factors and for a named one.
   */
  it.each([["postgres"], ["embedded"]])("give the OTP verify basis the stores' own reads give (%s)", async (backend) => {
    const db = backend === "postgres" ? pgDb : embedded;
    await db.query(`INSERT INTO provider_policies (tenant_id, disabled_kinds, totp_algorithms, totp_digits, totp_hardware_only, app_password_max_lifetime_ms, updated_at)
      VALUES ('t', '{webauthn}', '{SHA1,SHA256}', '{6}', true, 86400000, now())`);
    for (const named of [undefined, "00000000-0000-4000-8000-000000000002", "00000000-0000-4000-8000-000000000001"]) {
      const statement = () => new Statement().define("tenant", "t", "text").define("user", "u", "text");
      const s = statement();
      const basis = await s.run<{ b: { providers: unknown; candidates: Record<string, unknown>[] | null } }>(db, `SELECT ${otpVerifyBasisSql(s, s.ref("user"), named)} AS b`);
      const r = statement();
      const rows = await r.run<FactorRow>(db, otpCandidatesSql(r, r.ref("user"), named));
      const p = new Statement().define("tenant", "t", "text");
      const policy = await p.run<{ p: unknown }>(db, `SELECT ${providerPolicyJsonSql(p)} AS p`);
      const got = basis.rows[0]?.b;
      expect(factorRowsFromJson(got?.candidates ?? null), String(named)).toEqual(rows.rows);
      expect(got?.providers).toEqual(policy.rows[0]?.p);
    }
    // The candidates it reads: the active TOTP row, the pending HOTP row by name, and no WebAuthn row even by name.
    const ids = async (named: string | undefined) => {
      const s = new Statement().define("tenant", "t", "text");
      return (await s.run<{ b: { candidates: { id: string }[] | null } }>(db, `SELECT ${otpVerifyBasisSql(s, "'u'", named)} AS b`)).rows[0]?.b.candidates?.map((c) => c.id) ?? [];
    };
    expect(await ids(undefined)).toEqual(["00000000-0000-4000-8000-000000000003"]);
    expect(await ids("00000000-0000-4000-8000-000000000002")).toEqual(["00000000-0000-4000-8000-000000000002"]);
    expect(await ids("00000000-0000-4000-8000-000000000001")).toEqual([]);
  });

  it("refuses bytea that is not hex rather than misreading it", () => {
    expect(() => factorRowsFromJson([{ id: "x", secret_sealed: "\\001\\002" }])).toThrow(/secret_sealed/);
  });
});
