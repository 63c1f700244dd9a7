import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKeyring } from "../../src/crypto/keyring-aes.js";
import { factorSecretAad } from "../../src/crypto/keyring.js";
import { rotateFactorSecrets } from "../../src/domain/factors/index.js";
import { createTestApp, type TestApp } from "../support/app.js";

const k1 = { id: "k1", key: randomBytes(32) };
const k2 = { id: "k2", key: randomBytes(32) };
const pepper = randomBytes(32);
const aad = factorSecretAad("acme", "alice", "6f1c1f5e-8d7a-4d0a-9b1e-0a5c2b3d4e5f");
const secret = Buffer.from("12345678901234567890");

describe("the AES-256-GCM keyring", () => {
  const keyring = createKeyring([k1], pepper);

  it("opens what it sealed", () => {
    const sealed = keyring.seal(secret, aad);
    expect(keyring.open(sealed, aad).equals(secret)).toBe(true);
    expect(keyring.keyIdOf(sealed)).toBe("k1");
  });

  it("uses a fresh nonce for every seal", () => {
    expect(keyring.seal(secret, aad).equals(keyring.seal(secret, aad))).toBe(false);
  });

  it.each([
    ["another user", factorSecretAad("acme", "bob", "6f1c1f5e-8d7a-4d0a-9b1e-0a5c2b3d4e5f")],
    ["another tenant", factorSecretAad("other", "alice", "6f1c1f5e-8d7a-4d0a-9b1e-0a5c2b3d4e5f")],
    ["another factor", factorSecretAad("acme", "alice", "00000000-0000-4000-8000-000000000000")],
  ])("refuses to open a ciphertext moved to %s", (_, otherAad) => {
    const sealed = keyring.seal(secret, aad);
    expect(() => keyring.open(sealed, otherAad)).toThrow("does not open");
  });

  it("refuses a ciphertext with any byte changed", () => {
    const sealed = keyring.seal(secret, aad);
    for (let i = 2 + "k1".length; i < sealed.length; i++) {
      const tampered = Buffer.from(sealed);
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      expect(() => keyring.open(tampered, aad)).toThrow();
    }
  });

  it("opens a value sealed under an old key after a new key is added, and seals under the new one", () => {
    const old = keyring.seal(secret, aad);
    const rotated = createKeyring([k2, k1], pepper);
    expect(rotated.open(old, aad).equals(secret)).toBe(true);
    expect(rotated.keyIdOf(rotated.seal(secret, aad))).toBe("k2");
  });

  it("refuses a value sealed under a key no longer configured", () => {
    const old = keyring.seal(secret, aad);
    expect(() => createKeyring([k2], pepper).open(old, aad)).toThrow("not in the keyring");
  });

  it("separates keyed hashes by purpose and by pepper", () => {
    const a = keyring.keyedHash("api-key", "x");
    expect(a).toHaveLength(32);
    expect(a.equals(keyring.keyedHash("api-key", "x"))).toBe(true);
    expect(a.equals(keyring.keyedHash("backup-code", "x"))).toBe(false);
    expect(a.equals(createKeyring([k1], randomBytes(32)).keyedHash("api-key", "x"))).toBe(false);
  });

  it("refuses keys of the wrong size", () => {
    expect(() => createKeyring([{ id: "short", key: randomBytes(16) }], pepper)).toThrow("32 bytes");
    expect(() => createKeyring([], pepper)).toThrow("at least one key");
  });
});

describe("twofold keys rotate", () => {
  let app: TestApp;
  const rows: { userId: string; id: string; plain: Buffer }[] = [];

  beforeAll(async () => {
    app = await createTestApp({ config: { keys: [k1], pepper } });
    for (let i = 0; i < 5; i++) {
      const row = { userId: `user-${i}`, id: randomUUID(), plain: randomBytes(20) };
      rows.push(row);
      await app.db.query(
        `INSERT INTO factors (tenant_id, user_id, id, kind, label, state, created_at, algorithm, digits, period_seconds, secret_sealed)
         VALUES ('acme', $1, $2, 'totp', 'phone', 'active', now(), 'SHA1', 6, 30, $3)`,
        [row.userId, row.id, app.deps.keyring.seal(row.plain, factorSecretAad("acme", row.userId, row.id))],
      );
    }
  });
  afterAll(async () => {
    await app.close();
  });

  it("stores no readable secret: the plaintext bytes do not occur in the row", async () => {
    const r = await app.db.query<{ row: string }>("SELECT f::text AS row FROM factors f");
    expect(r.rows).toHaveLength(rows.length);
    for (const row of rows) {
      const all = r.rows.map((x) => x.row).join("\n");
      expect(all).not.toContain(row.plain.toString("hex"));
      expect(all).not.toContain(row.plain.toString("base64"));
    }
    const raw = await app.db.query<{ secret_sealed: Buffer }>("SELECT secret_sealed FROM factors");
    for (const row of rows) {
      for (const stored of raw.rows) expect(stored.secret_sealed.includes(row.plain)).toBe(false);
    }
  });

  it("re-seals every factor secret under the newest key, and each still opens", async () => {
    const newer = createKeyring([k2, k1], pepper);
    expect(await rotateFactorSecrets(app.db, newer)).toEqual({ rotated: 5, current: 0, raced: 0, failed: 0 });

    const onlyNew = createKeyring([k2], pepper);
    const r = await app.db.query<{ user_id: string; id: string; secret_sealed: Buffer }>(
      "SELECT user_id, id, secret_sealed FROM factors",
    );
    for (const stored of r.rows) {
      expect(onlyNew.keyIdOf(stored.secret_sealed)).toBe("k2");
      const expected = rows.find((x) => x.id === stored.id)?.plain;
      expect(onlyNew.open(stored.secret_sealed, factorSecretAad("acme", stored.user_id, stored.id)).equals(expected ?? Buffer.alloc(0))).toBe(true);
    }
    expect(await rotateFactorSecrets(app.db, newer)).toEqual({ rotated: 0, current: 5, raced: 0, failed: 0 });
  });

  it("counts secrets no configured key opens, and leaves them untouched", async () => {
    const stranger = createKeyring([{ id: "k3", key: randomBytes(32) }], pepper);
    const before = await app.db.query<{ secret_sealed: Buffer }>("SELECT secret_sealed FROM factors ORDER BY id");
    expect(await rotateFactorSecrets(app.db, stranger)).toEqual({ rotated: 0, current: 0, raced: 0, failed: 5 });
    const after = await app.db.query<{ secret_sealed: Buffer }>("SELECT secret_sealed FROM factors ORDER BY id");
    expect(after.rows).toEqual(before.rows);
  });
});
