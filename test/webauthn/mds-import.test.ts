import { execFile } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SettingsService } from "@simplewebauthn/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FixedClock } from "../../src/domain/clock.js";
import {
  certificatesFromFile,
  FIDO_MDS_ROOT_PEM,
  FIDO_MDS_ROOT_SHA256,
  findMdsEntry,
  importMdsBlob,
  MdsError,
} from "../../src/domain/webauthn/metadata/index.js";
import { relyingPartySettingsFor, setRelyingParty } from "../../src/domain/relying-party/index.js";
import type { Queryable } from "../../src/store/db.js";
import { openEmbeddedDb } from "../../src/store/embedded.js";
import { migrate } from "../../src/store/migrate.js";
import { T0 } from "../rpc/harness.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { mdsEntry, mdsPayload, mdsSigner, NITROKEY_3_AM, NITROKEY_3_XN, signMdsBlob, withPayload, type MdsSigner } from "./trust-fixtures.js";

const exec = promisify(execFile);

let app: TestApp;
let dir: string;
let signer: MdsSigner;
let vendorRoot: Uint8Array;

beforeAll(async () => {
  app = await createTestApp({ clock: new FixedClock(T0) });
  dir = await mkdtemp(join(tmpdir(), "twofold-mds-"));
  signer = await mdsSigner();
  vendorRoot = (await mdsSigner()).root.der;
});
afterAll(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await app.db.query("DELETE FROM mds_entries");
  await app.db.query("DELETE FROM mds_blobs");
});

/** Both MDS tables as text, to prove a refused import wrote nothing. */
async function mdsTables(db: Queryable): Promise<string> {
  const r = await db.query<{ t: string }>(
    `SELECT coalesce((SELECT string_agg(to_jsonb(e)::text, '|' ORDER BY aaguid) FROM mds_entries e), '') || '#' ||
            coalesce((SELECT string_agg(to_jsonb(b)::text, '|') FROM mds_blobs b), '') AS t`,
  );
  return r.rows[0]?.t ?? "";
}

const goodPayload = (no = 10) =>
  mdsPayload(no, [
    mdsEntry(NITROKEY_3_XN, [vendorRoot]),
    mdsEntry(NITROKEY_3_AM, [vendorRoot], ["FIDO_CERTIFIED_L1", "ATTESTATION_KEY_COMPROMISE"]),
    // A UAF authenticator (aaid, no AAGUID): not twofold's.
    { aaid: "4e4e#4005", statusReports: [], timeOfLastStatusChange: "2025-01-01" },
    // A FIDO2 entry whose root is not base64: left out, counted.
    { ...mdsEntry("0bb43545-fd2c-4185-87dd-feb0b2916ace", []), metadataStatement: { attestationRootCertificates: ["%%%"] } },
  ]);

describe("importing an MDS3 blob", () => {
  it("stores the FIDO2 entries of a blob signed by a chain to the given root", async () => {
    const summary = await importMdsBlob(app.deps, { source: await signMdsBlob(signer, goodPayload()), roots: [signer.root.der] });
    expect(summary).toEqual({
      serial: 10,
      nextUpdate: "2026-02-01",
      signer: "C=US, O=Test MDS, CN=mds.test.example",
      entries: 2,
      skipped: 1,
      ignored: 1,
      unchanged: false,
    });
    const xn = await findMdsEntry(app.db, NITROKEY_3_XN);
    expect(xn?.attestationRoots.map((r) => Buffer.from(r))).toEqual([Buffer.from(vendorRoot)]);
    expect((await findMdsEntry(app.db, NITROKEY_3_AM))?.statusReports.map((s) => s.status)).toEqual(["FIDO_CERTIFIED_L1", "ATTESTATION_KEY_COMPROMISE"]);
    expect(await findMdsEntry(app.db, "0bb43545-fd2c-4185-87dd-feb0b2916ace")).toBeUndefined();
  });

  it("accepts RS256 with an intermediate CA in x5c, as the FIDO Alliance signs", async () => {
    const rsa = await mdsSigner({ alg: "RS256", intermediate: true });
    const summary = await importMdsBlob(app.deps, { source: await signMdsBlob(rsa, goodPayload()), roots: [rsa.root.der] });
    expect(summary.entries).toBe(2);
  });

  it("replaces every entry with a newer blob, changes nothing for the same one, and refuses an older one", async () => {
    await importMdsBlob(app.deps, { source: await signMdsBlob(signer, goodPayload(10)), roots: [signer.root.der] });
    const newer = await signMdsBlob(signer, mdsPayload(11, [mdsEntry(NITROKEY_3_AM, [vendorRoot])]));
    expect((await importMdsBlob(app.deps, { source: newer, roots: [signer.root.der] })).unchanged).toBe(false);
    expect(await findMdsEntry(app.db, NITROKEY_3_XN)).toBeUndefined();
    expect((await findMdsEntry(app.db, NITROKEY_3_AM))?.statusReports.map((s) => s.status)).toEqual(["FIDO_CERTIFIED_L1"]);

    const stored = await mdsTables(app.db);
    expect((await importMdsBlob(app.deps, { source: newer, roots: [signer.root.der] })).unchanged).toBe(true);
    const older = await signMdsBlob(signer, goodPayload(10));
    await expect(importMdsBlob(app.deps, { source: older, roots: [signer.root.der] })).rejects.toThrow(/serial number 10 is older than the imported blob's 11/);
    expect(await mdsTables(app.db)).toBe(stored);
  });

  it("refuses, writing nothing, a blob whose signature does not verify", async () => {
    await importMdsBlob(app.deps, { source: await signMdsBlob(signer, goodPayload(10)), roots: [signer.root.der] });
    const before = await mdsTables(app.db);
    const blob = await signMdsBlob(signer, goodPayload(12));
    const tampered = withPayload(blob, mdsPayload(12, [mdsEntry(NITROKEY_3_AM, [vendorRoot])]));
    const [h, p, s] = blob.split(".") as [string, string, string];
    const sig = Buffer.from(s, "base64url");
    sig[5] = (sig[5] ?? 0) ^ 0x01;
    for (const bad of [tampered, `${h}.${p}.${sig.toString("base64url")}`]) {
      const err = await importMdsBlob(app.deps, { source: bad, roots: [signer.root.der] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MdsError);
      expect((err as Error).message).toBe("the blob's ES256 signature does not verify");
    }
    expect(await mdsTables(app.db)).toBe(before);
  });

  it("refuses a blob whose chain ends at another root, or whose signing certificate has expired", async () => {
    const blob = await signMdsBlob(signer, goodPayload());
    await expect(importMdsBlob(app.deps, { source: blob, roots: [vendorRoot] })).rejects.toThrow(/does not verify against the MDS root: the chain ends at no trust anchor/);
    const stale = await mdsSigner({ signerNotAfter: new Date(T0.getTime() - 86_400_000) });
    await expect(importMdsBlob(app.deps, { source: await signMdsBlob(stale, goodPayload()), roots: [stale.root.der] })).rejects.toThrow(
      /a certificate is expired or not yet valid/,
    );
    expect(await mdsTables(app.db)).toBe("#");
  });

  it("refuses what is not an MDS blob: unsigned, an unknown algorithm, no chain, no serial", async () => {
    const blob = await signMdsBlob(signer, goodPayload());
    const [, p] = blob.split(".") as [string, string, string];
    const cases: [string, RegExp][] = [
      ["not a jwt", /not a JWT/],
      [`${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${p}.`, /header alg must be one of/],
      [await signMdsBlob(signer, goodPayload(), { alg: "HS256" }), /header alg must be one of/],
      [await signMdsBlob(signer, goodPayload(), { x5c: [] }), /no x5c certificate chain/],
      [await signMdsBlob(signer, { ...goodPayload(), no: "12" }), /no serial number/],
      [await signMdsBlob(signer, { ...goodPayload(), entries: {} }), /no entries list/],
    ];
    for (const [source, message] of cases) {
      await expect(importMdsBlob(app.deps, { source, roots: [signer.root.der] })).rejects.toThrow(message);
    }
    await expect(importMdsBlob(app.deps, { source: blob, roots: [(await mdsSigner()).chain[0]?.der ?? new Uint8Array()] })).rejects.toThrow(
      /not an X.509 CA certificate/,
    );
    expect(await mdsTables(app.db)).toBe("#");
  });
});

describe("on the embedded store (PGlite)", () => {
  it("imports a blob and keeps a tenant's attestation roots", async () => {
    const db = await openEmbeddedDb(join(dir, "pglite"));
    try {
      await migrate(db);
      const deps = { ...app.deps, db };
      expect((await importMdsBlob(deps, { source: await signMdsBlob(signer, goodPayload()), roots: [signer.root.der] })).entries).toBe(2);
      expect((await findMdsEntry(db, NITROKEY_3_AM))?.statusReports.map((r) => r.status)).toContain("ATTESTATION_KEY_COMPROMISE");
      const meta = { caller: { tenant: "emb", keyId: "k", role: "admin" as const }, clientIp: "", requestId: "r" };
      await setRelyingParty(deps, meta, {
        rpId: "localhost",
        rpName: "Embedded",
        allowedOrigins: ["http://localhost:3000"],
        allowedAaguids: [NITROKEY_3_XN],
        attestationRootCertificates: [vendorRoot],
      });
      expect((await relyingPartySettingsFor(deps, "emb")).attestationRootCertificates.map((r) => Buffer.from(r))).toEqual([Buffer.from(vendorRoot)]);
    } finally {
      await db.close();
    }
  });
});

describe("the embedded FIDO Alliance MDS root", () => {
  it("is GlobalSign Root CA - R3 by its published fingerprint, byte for byte the copy @simplewebauthn/server ships", () => {
    const [der] = certificatesFromFile(Buffer.from(FIDO_MDS_ROOT_PEM));
    const cert = new X509Certificate(Buffer.from(der ?? new Uint8Array()));
    expect(cert.subject).toContain("OU=GlobalSign Root CA - R3");
    expect(cert.ca).toBe(true);
    expect(cert.fingerprint256).toBe(FIDO_MDS_ROOT_SHA256);
    const fingerprint = createHash("sha256").update(der ?? new Uint8Array()).digest("hex").toUpperCase().match(/../g)?.join(":");
    expect(fingerprint).toBe("CB:B5:22:D7:B7:F1:27:AD:6A:01:13:86:5B:DF:1C:D4:10:2E:7D:07:59:AF:63:5A:7C:F4:72:0D:C9:63:C5:3B");
    const shipped = SettingsService.getRootCertificates({ identifier: "mds" }).flatMap((pem) => certificatesFromFile(Buffer.from(pem)));
    expect(shipped.map((d) => Buffer.from(d).toString("hex"))).toContain(Buffer.from(der ?? new Uint8Array()).toString("hex"));
  });
});

describe("twofold mds import", () => {
  async function cli(args: string[]) {
    const env = {
      PATH: process.env["PATH"],
      DATABASE_URL: app.dbUrl,
      TWOFOLD_KEYS: app.deps.config.keys.map((k) => `${k.id}:${k.key.toString("base64")}`).join(","),
      TWOFOLD_PEPPER: app.deps.config.pepper?.toString("base64"),
    };
    try {
      const r = await exec("node_modules/.bin/tsx", ["src/cli/main.ts", "mds", ...args], { env });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it("imports a blob verified against --root (PEM), then refuses a bad signature with exit 1 and nothing written", async () => {
    const rootPem = join(dir, "root.pem");
    await writeFile(rootPem, signer.root.cert.toString("pem"));
    const good = join(dir, "blob.jwt");
    await writeFile(good, await signMdsBlob(signer, goodPayload(20)));
    const ok = await cli(["import", good, "--root", rootPem]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('verified MDS blob no=20 next_update=2026-02-01 signed by "C=US, O=Test MDS, CN=mds.test.example"');
    expect(ok.stdout).toContain("imported 2 FIDO2 entries (1 unreadable skipped, 1 non-FIDO2 ignored)");
    expect((await findMdsEntry(app.db, NITROKEY_3_XN))?.aaguid).toBe(NITROKEY_3_XN);

    const before = await mdsTables(app.db);
    const bad = join(dir, "bad.jwt");
    await writeFile(bad, withPayload(await signMdsBlob(signer, goodPayload(21)), mdsPayload(21, [])));
    const refused = await cli(["import", bad, "--root", rootPem]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("twofold: the blob's ES256 signature does not verify");
    expect(refused.stdout).toBe("");
    expect(await mdsTables(app.db)).toBe(before);
  });

  it("takes a DER root too, and by default verifies against the FIDO Alliance root, which a test blob cannot pass", async () => {
    const rootDer = join(dir, "root.der");
    await writeFile(rootDer, signer.root.der);
    const blob = join(dir, "blob-der.jwt");
    await writeFile(blob, await signMdsBlob(signer, goodPayload(30)));
    const before = await mdsTables(app.db);
    const refused = await cli(["import", blob]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/does not verify against the MDS root/);
    expect(await mdsTables(app.db)).toBe(before);
    const ok = await cli(["import", blob, "--root", rootDer]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("verified MDS blob no=30");
  });

  it("answers a bad command line with exit 2 before touching the database", async () => {
    expect((await cli(["import"])).code).toBe(2);
    expect((await cli(["import", join(dir, "missing.jwt")])).code).toBe(2);
    const empty = join(dir, "empty.pem");
    await writeFile(empty, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    const blob = join(dir, "blob-usage.jwt");
    await writeFile(blob, "x.y.z");
    const r = await cli(["import", blob, "--root", empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("holds no certificate");
  });
});
