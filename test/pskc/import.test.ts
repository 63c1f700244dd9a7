import { execFile } from "node:child_process";
import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NitrokeyOtpDevice } from "../../emulator/index.js";
import type { RequestMeta } from "../../src/domain/caller.js";
import { importPskc, PskcError } from "../../src/domain/otp/pskc/index.js";
import { FactorKind, FactorState, Provider, TokenProfile } from "../../src/gen/twofold/v1/types_pb.js";
import { createHarness, snapshot, type Harness } from "../rpc/harness.js";
import { ENCRYPTED, flipByteIn, PLAIN, PLAIN_FILE, PSK, PSK_FILE, SEEDS } from "./fixtures.js";

const exec = promisify(execFile);
const META: RequestMeta = { caller: { tenant: "acme", keyId: "cli", role: "admin" }, clientIp: "", requestId: "t" };
const TEMP = "temporary-password-pskc";

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await createHarness();
  dir = await mkdtemp(join(tmpdir(), "twofold-pskc-"));
});
afterAll(async () => {
  await h.app.close();
  await rm(dir, { recursive: true, force: true });
});

/** A Nitrokey Pro whose slot 1 holds the seed a container shipped for it. */
function token(secretHex: string, opts: { digits?: 6 | 8; counter?: number; interval?: number }): NitrokeyOtpDevice {
  const d = new NitrokeyOtpDevice({ profile: "nitrokey-pro" });
  d.adminAuthenticate("12345678", TEMP);
  d.writeHotpSlot(1, { name: "pskc", secretHex, digits: opts.digits ?? 6, counter: opts.counter ?? 0 }, TEMP);
  d.writeTotpSlot(1, { name: "pskc", secretHex, digits: opts.digits ?? 6, intervalSeconds: opts.interval ?? 30 }, TEMP);
  d.setTime(Math.floor(h.clock.now().getTime() / 1000));
  return d;
}

async function login(userId: string, code: string) {
  const ch = await h.auth().challenge({ userId });
  return h.auth().verify({ transactionId: ch.transactionId, proof: { case: "otp", value: { code, factorId: "" } } });
}

async function factorCount(): Promise<number> {
  const r = await h.app.db.query<{ n: number }>("SELECT count(*)::integer AS n FROM factors");
  return r.rows[0]?.n ?? -1;
}

describe("importing a PSKC container", () => {
  it("writes nothing on a dry run", async () => {
    const before = await snapshot(h.app.db);
    const planned = await importPskc(h.app.deps, META, { tenant: "acme", source: ENCRYPTED, preSharedKey: PSK, dryRun: true, activate: false });
    expect(planned.map((t) => [t.userId, t.kind, t.factorId])).toEqual([
      ["dave@example.com", "hotp", ""],
      ["erin@example.com", "totp", ""],
      ["frank@example.com", "totp", ""],
    ]);
    expect(await snapshot(h.app.db)).toEqual(before);
  });

  it("refuses a tampered container whole: nothing imported", async () => {
    const before = await snapshot(h.app.db);
    const attempts = [
      { source: flipByteIn(ENCRYPTED, "ValueMAC", 2), preSharedKey: PSK },
      { source: ENCRYPTED, preSharedKey: Buffer.alloc(16, 7) },
      { source: PLAIN.replace("pskc:totp\"", "pskc:unknown\""), preSharedKey: undefined },
    ];
    for (const a of attempts) {
      await expect(importPskc(h.app.deps, META, { tenant: "acme", ...a, dryRun: false, activate: true })).rejects.toBeInstanceOf(PskcError);
    }
    expect(await snapshot(h.app.db)).toEqual(before);
  });

  it("rolls back every factor when one user cannot take another", async () => {
    // carol already holds the most factors a user may hold; the container's other tokens must not land either.
    // (Another test may have imported carol's token already: fill up to the limit from what she holds.)
    const held = (await h.enrolment().listFactors({ userId: "carol@example.com" })).factors.length;
    for (let i = held; i < 20; i++) {
      await h.enrolment().enrol({ userId: "carol@example.com", label: `app ${i}`, spec: { case: "totp", value: {} } });
    }
    const before = await factorCount();
    await expect(importPskc(h.app.deps, META, { tenant: "acme", source: PLAIN, preSharedKey: undefined, dryRun: false, activate: false })).rejects.toThrow(
      /GEN-HOTP-8.*20 factors/,
    );
    expect(await factorCount()).toBe(before);
    await h.app.db.query("DELETE FROM factors WHERE user_id = 'carol@example.com'");
  });

  it("creates PENDING factors that the users confirm with their tokens, then log in", async () => {
    await importPskc(h.app.deps, META, { tenant: "acme", source: PLAIN, preSharedKey: undefined, dryRun: false, activate: false });
    const alice = (await h.enrolment().listFactors({ userId: "alice@example.com" })).factors;
    expect(alice.map((f) => [f.kind, f.state, f.tokenProfile, f.label, f.counter])).toEqual([
      [FactorKind.HOTP, FactorState.PENDING, TokenProfile.NITROKEY_PRO, "Nitrokey 000012345601", 0n],
    ]);
    const aliceToken = token(SEEDS.plain["NK-PRO-HOTP-1"] ?? "", {});
    const confirmed = await h.enrolment().confirmEnrolment({
      userId: "alice@example.com",
      factorId: alice[0]?.id ?? "",
      proof: { case: "otpCode", value: aliceToken.getHotpCode(1) },
    });
    expect(confirmed.confirmed).toBe(true);
    const r = await login("alice@example.com", aliceToken.getHotpCode(1));
    expect(r.verified).toBe(true);
    expect(r.context?.amr).toContain("hwk");

    const bob = (await h.enrolment().listFactors({ userId: "bob@example.com" })).factors;
    expect(bob.map((f) => [f.kind, f.tokenProfile])).toEqual([[FactorKind.TOTP, TokenProfile.NITROKEY_STORAGE]]);
    const bobToken = token(SEEDS.plain["NK-STO-TOTP-1"] ?? "", {});
    expect((await h.enrolment().confirmEnrolment({ userId: "bob@example.com", factorId: bob[0]?.id ?? "", proof: { case: "otpCode", value: bobToken.getTotpCode(1) } })).confirmed).toBe(true);

    const carol = (await h.enrolment().listFactors({ userId: "carol@example.com" })).factors;
    expect(carol.map((f) => [f.kind, f.digits, f.tokenProfile, f.counter])).toEqual([[FactorKind.HOTP, 8, TokenProfile.GENERIC, 5n]]);
  });

  it("creates ACTIVE factors from a PSK-encrypted container with --activate, which log in at once", async () => {
    const imported = await importPskc(h.app.deps, META, { tenant: "acme", source: ENCRYPTED, preSharedKey: PSK, dryRun: false, activate: true });
    expect(imported).toHaveLength(3);
    const dave = token(SEEDS.psk["NK-PRO-HOTP-2"] ?? "", { counter: 10 });
    const ch = await h.auth().challenge({ userId: "dave@example.com" });
    expect(ch.providers.map((p) => p.provider)).toContain(Provider.HOTP);
    expect((await login("dave@example.com", dave.getHotpCode(1))).verified).toBe(true);
    const erin = token(SEEDS.psk["NK-PRO-TOTP-2"] ?? "", { digits: 8 });
    const e = await login("erin@example.com", erin.getTotpCode(1));
    expect(e.verified).toBe(true);
    expect(e.context?.provider).toBe(Provider.TOTP);
    const frank = token(SEEDS.psk["GEN-TOTP-60"] ?? "", { interval: 60 });
    expect((await login("frank@example.com", frank.getTotpCode(1))).verified).toBe(true);
  });
});

describe("twofold import pskc", () => {
  async function cli(args: string[]) {
    const env = {
      PATH: process.env["PATH"],
      DATABASE_URL: h.app.dbUrl,
      TWOFOLD_KEYS: h.app.deps.config.keys.map((k) => `${k.id}:${k.key.toString("base64")}`).join(","),
      TWOFOLD_PEPPER: h.app.deps.config.pepper?.toString("base64"),
    };
    try {
      const r = await exec("node_modules/.bin/tsx", ["src/cli/main.ts", "import", "pskc", ...args], { env });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  function expectNoSecret(text: string): void {
    for (const s of [...Object.values(SEEDS.plain), ...Object.values(SEEDS.psk), SEEDS.preSharedKeyHex, SEEDS.macKeyHex]) {
      expect(text.toLowerCase()).not.toContain(s);
      expect(text).not.toContain(Buffer.from(s, "hex").toString("base64"));
    }
  }

  it("prints what a dry run would import, without secrets, and writes nothing", async () => {
    const before = await snapshot(h.app.db);
    const r = await cli([PSK_FILE, "--tenant", "cli-tenant", "--dry-run", "--pre-shared-key", SEEDS.preSharedKeyHex]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('would import user="dave@example.com" kind=hotp digits=6 serial="000012345602" profile=nitrokey_pro');
    expect(r.stdout).toContain("nothing written");
    expectNoSecret(r.stdout + r.stderr);
    expect(await snapshot(h.app.db)).toEqual(before);
  });

  it("imports, and refuses a tampered file with the reason and exit 1", async () => {
    const ok = await cli([PLAIN_FILE, "--tenant", "cli-tenant"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/3 pending factors imported for tenant cli-tenant/);
    expectNoSecret(ok.stdout + ok.stderr);

    const tampered = join(dir, "tampered.pskcxml");
    await writeFile(tampered, flipByteIn(ENCRYPTED, "ValueMAC"));
    const before = await snapshot(h.app.db);
    const bad = await cli([tampered, "--tenant", "cli-tenant", "--pre-shared-key", SEEDS.preSharedKeyHex]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/NK-PRO-HOTP-2.*MAC mismatch/);
    expectNoSecret(bad.stdout + bad.stderr);
    expect(await snapshot(h.app.db)).toEqual(before);

    const usage = await cli([PLAIN_FILE, "--tenant", "bad tenant!"]);
    expect(usage.code).toBe(2);
  });
});
