import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { createKeyring } from "../../src/crypto/keyring-aes.js";
import { authenticateApiKey } from "../../src/domain/api-keys/index.js";
import { openEmbeddedDb } from "../../src/store/embedded.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";

interface Served {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Starts `twofold serve` from source on a free port and waits for its "twofold serving" line. */
async function startServe(env: Record<string, string | undefined>): Promise<Served> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], {
    env: { PATH: process.env["PATH"], TWOFOLD_ADDR: "127.0.0.1:0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => (err += c.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      for (const line of out.split("\n")) {
        if (!line.startsWith("{")) continue;
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "twofold serving" && entry.url !== undefined) {
          clearInterval(timer);
          resolve(entry.url);
        }
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`serve exited with ${code}: ${err}${out}`));
    });
  });
  return { child, url, stdout: () => out, exited };
}

async function healthStatus(url: string): Promise<unknown> {
  const res = await fetch(`${url}/grpc.health.v1.Health/Check`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  return ((await res.json()) as { status?: unknown }).status;
}

describe("twofold serve against a Postgres server", () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it("serves health, refuses a call without a key, and stops cleanly on SIGTERM", async () => {
    const served = await startServe({
      DATABASE_URL: app.dbUrl,
      TWOFOLD_KEYS: app.deps.config.keys.map((k) => `${k.id}:${k.key.toString("base64")}`).join(","),
      TWOFOLD_PEPPER: app.deps.config.pepper?.toString("base64"),
    });
    try {
      expect(await healthStatus(served.url)).toBe("SERVING");
      const token = await createTestApiKey(app, "acme", "service");
      const anon = await fetch(`${served.url}/twofold.v1.AdminService/GetEnforcementPolicy`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(anon.status).toBe(401);
      const asService = await fetch(`${served.url}/twofold.v1.AdminService/GetEnforcementPolicy`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: "{}",
      });
      // A service key is known (not 401) but may not call AdminService.
      expect(asService.status).toBe(403);
      // No development key against a real server.
      expect(served.stdout()).not.toContain("development convenience");
    } finally {
      served.child.kill("SIGTERM");
    }
    expect(await served.exited).toBe(0);
  });
});

describe("twofold serve with the embedded database", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "twofold-serve-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("creates and prints a development admin key once, which then authenticates", async () => {
    const first = await startServe({ TWOFOLD_DATA_DIR: dataDir });
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const lines = first.stdout().split("\n");
    const marker = lines.findIndex((l) => l.includes("development convenience"));
    expect(marker).toBeGreaterThanOrEqual(0);
    const token = lines.slice(marker).find((l) => /^tf_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/.test(l)) ?? "";
    // The warning says a key file was made, and never prints it.
    const devFile = JSON.parse(readFileSync(join(dataDir, "dev-secrets.json"), "utf8")) as { keys: string; pepper: string };
    expect(first.stdout()).not.toContain(devFile.pepper);

    const config = loadConfig({ TWOFOLD_KEYS: devFile.keys, TWOFOLD_PEPPER: devFile.pepper });
    const db = await openEmbeddedDb(dataDir);
    try {
      const keyring = createKeyring(config.keys, config.pepper ?? Buffer.alloc(0));
      expect(await authenticateApiKey({ db, keyring }, token)).toMatchObject({ tenant: "default", role: "admin" });
    } finally {
      await db.close();
    }

    const second = await startServe({ TWOFOLD_DATA_DIR: dataDir });
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(second.stdout()).not.toContain("development convenience");
  }, 120_000);
});
