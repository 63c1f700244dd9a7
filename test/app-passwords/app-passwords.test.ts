import { toJsonString } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FixedClock } from "../../src/domain/clock.js";
import { ListAppPasswordsResponseSchema } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import { FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { auditText, capturingLogger, clientsFor, OTHER_TENANT, START, type Clients } from "../backup-codes/harness.js";

const PASSWORD_SHAPE = /^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$/;
const HOUR = 3600 * 1000;

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

async function rpcError(call: Promise<unknown>): Promise<ConnectError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  return err as ConnectError;
}

describe("creating an app password", () => {
  it("shows a password of five groups of five once, and deduplicates scopes", async () => {
    const res = await rpc.apps.createAppPassword({ userId: "alice", name: "Thunderbird on laptop", scopes: ["imap", "smtp", "imap"] });
    expect(res.password).toMatch(PASSWORD_SHAPE);
    expect(res.appPassword?.name).toBe("Thunderbird on laptop");
    expect(res.appPassword?.scopes).toEqual(["imap", "smtp"]);
    expect(res.appPassword?.createdAt && timestampDate(res.appPassword.createdAt)).toEqual(clock.now());
    expect(res.appPassword?.expiresAt).toBeUndefined();
    const rows = await app.db.query<{ password_hash: Buffer }>("SELECT password_hash FROM app_passwords WHERE id = $1", [res.appPassword?.id]);
    expect(rows.rows[0]?.password_hash.equals(app.deps.keyring.keyedHash("app-password", res.password.replace(/-/g, "")))).toBe(true);
  });

  it("sets the expiry from the ttl and the injected clock", async () => {
    const res = await rpc.apps.createAppPassword({ userId: "alice", name: "phone", scopes: ["caldav"], ttl: { seconds: 3600n } });
    expect(res.appPassword?.expiresAt && timestampDate(res.appPassword.expiresAt)).toEqual(new Date(clock.now().getTime() + HOUR));
  });

  it("accepts a ttl of exactly one minute and of exactly ten years", async () => {
    const shortest = await rpc.apps.createAppPassword({ userId: "alice", name: "min", scopes: ["imap"], ttl: { seconds: 60n } });
    expect(shortest.appPassword?.expiresAt && timestampDate(shortest.appPassword.expiresAt)).toEqual(new Date(clock.now().getTime() + 60_000));
    const longest = await rpc.apps.createAppPassword({ userId: "alice", name: "max", scopes: ["imap"], ttl: { seconds: 10n * 36525n * 864n } });
    expect(longest.appPassword?.expiresAt && timestampDate(longest.appPassword.expiresAt).getUTCFullYear()).toBe(clock.now().getUTCFullYear() + 10);
  });
});

describe("verifying an app password", () => {
  it("verifies it for its scope and records the time and ip of the use", async () => {
    const created = await rpc.apps.createAppPassword({ userId: "used-once", name: "mail", scopes: ["imap"] });
    clock.advance(5000);
    const res = await rpc.apps.verifyAppPassword({ userId: "used-once", password: created.password, requiredScope: "imap", clientIp: "198.51.100.4" });
    expect(res.verified).toBe(true);
    expect(res.reason).toBe(FailureReason.UNSPECIFIED);
    expect(res.appPassword?.id).toBe(created.appPassword?.id);
    const listed = (await rpc.apps.listAppPasswords({ userId: "used-once" })).appPasswords.find((p) => p.id === created.appPassword?.id);
    expect(listed?.lastUsedIp).toBe("198.51.100.4");
    expect(listed?.lastUsedAt && timestampDate(listed.lastUsedAt)).toEqual(clock.now());
  });

  it("accepts the password in lower case with spaces instead of dashes", async () => {
    const created = await rpc.apps.createAppPassword({ userId: "bob", name: "typed", scopes: ["smtp"] });
    const typed = created.password.toLowerCase().replace(/-/g, " ");
    expect((await rpc.apps.verifyAppPassword({ userId: "bob", password: typed, requiredScope: "smtp" })).verified).toBe(true);
  });

  it("refuses it for a scope it was not created with, naming the app password", async () => {
    const created = await rpc.apps.createAppPassword({ userId: "carol", name: "webdav only", scopes: ["webdav"] });
    const res = await rpc.apps.verifyAppPassword({ userId: "carol", password: created.password, requiredScope: "imap" });
    expect(res.verified).toBe(false);
    expect(res.reason).toBe(FailureReason.OUT_OF_SCOPE);
    expect(res.appPassword?.id).toBe(created.appPassword?.id);
    expect((await rpc.apps.listAppPasswords({ userId: "carol" })).appPasswords[0]?.lastUsedAt).toBeUndefined();
  });

  it("refuses a password differing in one character as a wrong code", async () => {
    const created = await rpc.apps.createAppPassword({ userId: "dave", name: "x", scopes: ["imap"] });
    const last = created.password.slice(-1);
    const wrong = created.password.slice(0, -1) + (last === "0" ? "1" : "0");
    const res = await rpc.apps.verifyAppPassword({ userId: "dave", password: wrong, requiredScope: "imap" });
    expect(res).toMatchObject({ verified: false, reason: FailureReason.WRONG_CODE });
    expect(res.appPassword).toBeUndefined();
  });

  it("refuses another user's and another tenant's password", async () => {
    const created = await rpc.apps.createAppPassword({ userId: "erin", name: "x", scopes: ["imap"] });
    const asOtherUser = await rpc.apps.verifyAppPassword({ userId: "frank", password: created.password, requiredScope: "imap" });
    expect(asOtherUser.reason).toBe(FailureReason.WRONG_CODE);
    const other = clientsFor(app.deps, OTHER_TENANT);
    const asOtherTenant = await other.apps.verifyAppPassword({ userId: "erin", password: created.password, requiredScope: "imap" });
    expect(asOtherTenant.reason).toBe(FailureReason.WRONG_CODE);
    expect((await other.apps.listAppPasswords({ userId: "erin" })).appPasswords).toEqual([]);
  });

  it("refuses it once expired by the injected clock", async () => {
    const created = await rpc.apps.createAppPassword({ userId: "gina", name: "short", scopes: ["imap"], ttl: { seconds: 3600n } });
    clock.advance(HOUR - 1000);
    expect((await rpc.apps.verifyAppPassword({ userId: "gina", password: created.password, requiredScope: "imap" })).verified).toBe(true);
    clock.advance(1000);
    const res = await rpc.apps.verifyAppPassword({ userId: "gina", password: created.password, requiredScope: "imap" });
    expect(res).toMatchObject({ verified: false, reason: FailureReason.EXPIRED });
    expect(res.appPassword?.id).toBe(created.appPassword?.id);
  });
});

describe("revoking an app password", () => {
  it("takes effect on the next verification and is idempotent", async () => {
    const created = await rpc.apps.createAppPassword({ userId: "hank", name: "old phone", scopes: ["imap"] });
    const id = created.appPassword?.id ?? "";
    expect((await rpc.apps.verifyAppPassword({ userId: "hank", password: created.password, requiredScope: "imap" })).verified).toBe(true);
    await rpc.apps.revokeAppPassword({ userId: "hank", appPasswordId: id });
    const res = await rpc.apps.verifyAppPassword({ userId: "hank", password: created.password, requiredScope: "imap" });
    expect(res).toMatchObject({ verified: false, reason: FailureReason.REVOKED });
    await rpc.apps.revokeAppPassword({ userId: "hank", appPasswordId: id });
    const listed = (await rpc.apps.listAppPasswords({ userId: "hank" })).appPasswords[0];
    expect(listed?.revokedAt && timestampDate(listed.revokedAt)).toEqual(clock.now());
  });

  it("answers NOT_FOUND for an unknown id and for another user's id", async () => {
    const created = await rpc.apps.createAppPassword({ userId: "ivy", name: "x", scopes: ["imap"] });
    expect((await rpcError(rpc.apps.revokeAppPassword({ userId: "ivy", appPasswordId: "4f7d1f0e-6a53-4c55-9d5e-0e1d2c3b4a59" }))).code).toBe(Code.NotFound);
    expect((await rpcError(rpc.apps.revokeAppPassword({ userId: "jack", appPasswordId: created.appPassword?.id ?? "" }))).code).toBe(Code.NotFound);
    expect((await rpc.apps.verifyAppPassword({ userId: "ivy", password: created.password, requiredScope: "imap" })).verified).toBe(true);
  });
});

describe("listing app passwords", () => {
  it("lists name, scopes and use but never the password or its hash", async () => {
    const a = await rpc.apps.createAppPassword({ userId: "kate", name: "laptop", scopes: ["imap", "smtp"] });
    clock.advance(1000);
    const b = await rpc.apps.createAppPassword({ userId: "kate", name: "tablet", scopes: ["caldav"], ttl: { seconds: 86400n } });
    await rpc.apps.verifyAppPassword({ userId: "kate", password: a.password, requiredScope: "smtp", clientIp: "2001:db8::1" });
    const list = await rpc.apps.listAppPasswords({ userId: "kate" });
    expect(list.appPasswords.map((p) => [p.name, p.scopes, p.lastUsedIp])).toEqual([
      ["laptop", ["imap", "smtp"], "2001:db8::1"],
      ["tablet", ["caldav"], ""],
    ]);
    const json = toJsonString(ListAppPasswordsResponseSchema, list);
    for (const created of [a, b]) {
      const plain = created.password.replace(/-/g, "");
      const hash = app.deps.keyring.keyedHash("app-password", plain);
      for (const secret of [created.password, plain, plain.toLowerCase(), hash.toString("hex"), hash.toString("base64"), hash.toString("base64url")]) {
        expect(json).not.toContain(secret);
      }
    }
  });
});

describe("paging through app passwords", () => {
  it("pages oldest first with a token bound to the user, ending with an empty token", async () => {
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      names.push(`device ${i}`);
      await rpc.apps.createAppPassword({ userId: "pager", name: `device ${i}`, scopes: ["imap"] });
      clock.advance(1000);
    }
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await rpc.apps.listAppPasswords({ userId: "pager", pageSize: 2, pageToken });
      expect(page.appPasswords.length).toBeLessThanOrEqual(2);
      seen.push(...page.appPasswords.map((p) => p.name));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "");
    expect(pages).toBe(3);
    expect(seen).toEqual(names);

    const first = await rpc.apps.listAppPasswords({ userId: "pager", pageSize: 2 });
    const err = await rpcError(rpc.apps.listAppPasswords({ userId: "someone-else", pageSize: 2, pageToken: first.nextPageToken }));
    expect(err.code).toBe(Code.InvalidArgument);
  });

  it("returns 50 by default and at most 100 per page", async () => {
    const many = await Promise.all(
      Array.from({ length: 99 }, (_, i) => rpc.apps.createAppPassword({ userId: "paged-many", name: `d${i}`, scopes: ["imap"] })),
    );
    expect(many).toHaveLength(99);
    clock.advance(1000);
    for (const i of [99, 100]) {
      const created = await rpc.apps.createAppPassword({ userId: "paged-many", name: `d${i}`, scopes: ["imap"], ttl: { seconds: 60n } });
      expect(created.password).toMatch(PASSWORD_SHAPE);
      clock.advance(60_000);
    }
    const byDefault = await rpc.apps.listAppPasswords({ userId: "paged-many" });
    expect(byDefault.appPasswords).toHaveLength(50);
    expect(byDefault.nextPageToken).not.toBe("");
    // The first 99 share one creation time: the id breaks the tie, so no row repeats or goes missing.
    const second = await rpc.apps.listAppPasswords({ userId: "paged-many", pageToken: byDefault.nextPageToken });
    const third = await rpc.apps.listAppPasswords({ userId: "paged-many", pageToken: second.nextPageToken });
    const ids = [...byDefault.appPasswords, ...second.appPasswords, ...third.appPasswords].map((p) => p.id);
    expect(new Set(ids).size).toBe(101);
    expect(third.nextPageToken).toBe("");
    const capped = await rpc.apps.listAppPasswords({ userId: "paged-many", pageSize: 1000 });
    expect(capped.appPasswords).toHaveLength(100);
    const rest = await rpc.apps.listAppPasswords({ userId: "paged-many", pageSize: 1000, pageToken: capped.nextPageToken });
    expect(rest.appPasswords.map((p) => p.name)).toEqual(["d100"]);
    expect(rest.nextPageToken).toBe("");
  });
});

describe("the limit of live app passwords", () => {
  it("lets exactly 100 of 105 concurrent creations through, and one more after a revocation", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 105 }, (_, i) => rpc.apps.createAppPassword({ userId: "hoarder", name: `device ${i}`, scopes: ["imap"] })),
    );
    const created = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    expect(created).toHaveLength(100);
    expect(refused.map((e) => (e instanceof ConnectError ? e.code : e))).toEqual(Array(5).fill(Code.FailedPrecondition));
    await rpc.apps.revokeAppPassword({ userId: "hoarder", appPasswordId: created[0]?.appPassword?.id ?? "" });
    const again = await rpc.apps.createAppPassword({ userId: "hoarder", name: "replacement", scopes: ["imap"] });
    expect(again.password).toMatch(PASSWORD_SHAPE);
    expect((await rpcError(rpc.apps.createAppPassword({ userId: "hoarder", name: "x", scopes: ["imap"] }))).code).toBe(Code.FailedPrecondition);
  });

  it("does not count expired app passwords", async () => {
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => rpc.apps.createAppPassword({ userId: "churner", name: `temp ${i}`, scopes: ["imap"], ttl: { seconds: 60n } })),
    );
    expect((await rpcError(rpc.apps.createAppPassword({ userId: "churner", name: "x", scopes: ["imap"] }))).code).toBe(Code.FailedPrecondition);
    clock.advance(60_000);
    expect((await rpc.apps.createAppPassword({ userId: "churner", name: "x", scopes: ["imap"] })).password).toMatch(PASSWORD_SHAPE);
  });
});

describe("secrets", () => {
  it("keeps passwords and their hashes out of audit rows and log lines", async () => {
    const created = await rpc.apps.createAppPassword({ userId: "quiet", name: "laptop", scopes: ["imap"] });
    await rpc.apps.verifyAppPassword({ userId: "quiet", password: created.password, requiredScope: "imap", clientIp: "192.0.2.1" });
    await rpc.apps.verifyAppPassword({ userId: "quiet", password: created.password, requiredScope: "smtp" });
    await rpc.apps.revokeAppPassword({ userId: "quiet", appPasswordId: created.appPassword?.id ?? "" });
    const audit = await auditText(app.db);
    const logs = log.lines.join("\n");
    expect(audit).toContain("app_password.verified");
    expect(logs).toContain("app_password.refused");
    const plain = created.password.replace(/-/g, "");
    const hash = app.deps.keyring.keyedHash("app-password", plain);
    for (const secret of [created.password, plain, plain.toLowerCase(), plain.slice(0, 10), hash.toString("hex"), hash.toString("base64")]) {
      expect(audit).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });

  it("audits each change and outcome with the caller's key id and client ip", async () => {
    const created = await rpc.apps.createAppPassword({ userId: "audited", name: "laptop", scopes: ["imap"] });
    await rpc.apps.verifyAppPassword({ userId: "audited", password: created.password, requiredScope: "imap", clientIp: "192.0.2.9" });
    await rpc.apps.verifyAppPassword({ userId: "audited", password: created.password, requiredScope: "pop3", clientIp: "192.0.2.9" });
    await rpc.apps.revokeAppPassword({ userId: "audited", appPasswordId: created.appPassword?.id ?? "" });
    const rows = await app.db.query<{ kind: string; factor_id: string; api_key_id: string; client_ip: string; details: Record<string, unknown> }>(
      "SELECT kind, factor_id, api_key_id, client_ip, details FROM audit_events WHERE user_id = 'audited' ORDER BY id",
    );
    const id = created.appPassword?.id ?? "";
    expect(rows.rows).toEqual([
      { kind: "app_password.created", factor_id: id, api_key_id: "key-service-1", client_ip: "", details: { scopes: "imap", expires: false } },
      { kind: "app_password.verified", factor_id: id, api_key_id: "key-service-1", client_ip: "192.0.2.9", details: { scope: "imap" } },
      { kind: "app_password.refused", factor_id: id, api_key_id: "key-service-1", client_ip: "192.0.2.9", details: { reason: "out_of_scope", scope: "pop3" } },
      { kind: "app_password.revoked", factor_id: id, api_key_id: "key-service-1", client_ip: "", details: {} },
    ]);
  });
});
