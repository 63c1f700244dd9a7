import { toBinary, toJsonString } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FixedClock } from "../../src/domain/clock.js";
import { ListAuditEventsResponseSchema } from "../../src/gen/twofold/v1/admin_pb.js";
import type { Queryable } from "../../src/store/db.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { adminCaller, adminClient, invalidFields, snapshot } from "./admin-client.js";

/** Writes `n` events for (tenant, user), as any module's audit writer would. */
async function writeEvents(db: Queryable, tenant: string, userId: string, n: number, kind = "test.event"): Promise<void> {
  await db.query(
    `INSERT INTO audit_events (tenant_id, user_id, kind, at, api_key_id, details)
     SELECT $1::text, $2::text, $3::text, now(), 'k1', jsonb_build_object('seq', g, 'ok', true)
     FROM generate_series(1, $4::integer) AS g`,
    [tenant, userId, kind, n],
  );
}

async function idsOf(db: Queryable, tenant: string, userId?: string): Promise<string[]> {
  const r = await db.query<{ id: number }>(
    `SELECT id FROM audit_events WHERE tenant_id = $1 AND ($2::text IS NULL OR user_id = $2) ORDER BY id DESC`,
    [tenant, userId ?? null],
  );
  return r.rows.map((row) => String(row.id));
}

describe("ListAuditEvents", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({ clock: new FixedClock(new Date("2026-03-01T10:00:00Z")) });
    await writeEvents(app.db, "acme", "alice", 70);
    await writeEvents(app.db, "acme", "bob", 60);
    await writeEvents(app.db, "other", "alice", 5);
  });
  afterAll(async () => {
    await app.close();
  });

  it("pages through every event newest first, with no duplicate and no gap while new events arrive", async () => {
    const client = adminClient(app.deps, adminCaller("acme"));
    const snapshotIds = await idsOf(app.db, "acme");
    expect(snapshotIds).toHaveLength(130);
    const seen: string[] = [];
    const pageLengths: number[] = [];
    let token = "";
    do {
      const page = await client.listAuditEvents({ pageSize: 50, pageToken: token });
      pageLengths.push(page.events.length);
      seen.push(...page.events.map((e) => e.id));
      token = page.nextPageToken;
      // New events between page fetches must neither shift nor repeat later pages.
      await writeEvents(app.db, "acme", "carol", 7, "test.late");
    } while (token !== "");
    expect(pageLengths).toEqual([50, 50, 30]);
    expect(seen).toEqual(snapshotIds);
  });

  it("returns 50 events when page_size is zero, and at most 500", async () => {
    const client = adminClient(app.deps, adminCaller("acme"));
    expect((await client.listAuditEvents({})).events).toHaveLength(50);
    expect((await client.listAuditEvents({ pageSize: 500 })).events.length).toBe((await idsOf(app.db, "acme")).length);
  });

  it("filters by user and carries the event's fields", async () => {
    const client = adminClient(app.deps, adminCaller("acme"));
    const alice = await idsOf(app.db, "acme", "alice");
    const first = await client.listAuditEvents({ userId: "alice", pageSize: 40 });
    const second = await client.listAuditEvents({ userId: "alice", pageSize: 40, pageToken: first.nextPageToken });
    expect(second.nextPageToken).toBe("");
    expect([...first.events, ...second.events].map((e) => e.id)).toEqual(alice);
    const newest = first.events[0];
    expect(newest).toMatchObject({ userId: "alice", kind: "test.event", apiKeyId: "k1", details: { seq: "70", ok: "true" } });
    expect(newest?.time).toBeDefined();
  });

  it("never shows another tenant's events", async () => {
    const page = await adminClient(app.deps, adminCaller("other")).listAuditEvents({ pageSize: 500 });
    expect(page.events.map((e) => e.id)).toEqual(await idsOf(app.db, "other"));
    expect(page.events).toHaveLength(5);
  });

  it("ends with an empty token when everything fits in one page", async () => {
    const page = await adminClient(app.deps, adminCaller("other")).listAuditEvents({ pageSize: 5 });
    expect(page.events).toHaveLength(5);
    expect(page.nextPageToken).toBe("");
  });

  it("refuses a token from another user filter, another tenant, or edited", async () => {
    const acme = adminClient(app.deps, adminCaller("acme"));
    const allToken = (await acme.listAuditEvents({ pageSize: 10 })).nextPageToken;
    const aliceToken = (await acme.listAuditEvents({ userId: "alice", pageSize: 10 })).nextPageToken;
    expect(allToken).not.toBe("");
    expect(await invalidFields(acme.listAuditEvents({ userId: "alice", pageToken: allToken }))).toEqual(["page_token"]);
    expect(await invalidFields(acme.listAuditEvents({ pageToken: aliceToken }))).toEqual(["page_token"]);
    expect(await invalidFields(acme.listAuditEvents({ userId: "bob", pageToken: aliceToken }))).toEqual(["page_token"]);
    const other = adminClient(app.deps, adminCaller("other"));
    expect(await invalidFields(other.listAuditEvents({ pageToken: allToken }))).toEqual(["page_token"]);
    const raw = Buffer.from(allToken, "base64url");
    raw[7] = (raw[7] ?? 0) ^ 1;
    expect(await invalidFields(acme.listAuditEvents({ pageToken: raw.toString("base64url") }))).toEqual(["page_token"]);
    for (const junk of ["x", "!!!!", "a".repeat(500), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]) {
      expect(await invalidFields(acme.listAuditEvents({ pageToken: junk }))).toEqual(["page_token"]);
    }
  });

  it("refuses a page size over 500 and a bad user filter, naming each field, changing nothing", async () => {
    const client = adminClient(app.deps, adminCaller("acme"));
    const before = await snapshot(app.db);
    expect(await invalidFields(client.listAuditEvents({ pageSize: 501 }))).toEqual(["page_size"]);
    expect(await invalidFields(client.listAuditEvents({ userId: "bad\u0000id", pageSize: 1000 }))).toEqual(["user_id", "page_size"]);
    expect(await invalidFields(client.listAuditEvents({ userId: "x".repeat(257) }))).toEqual(["user_id"]);
    expect(await snapshot(app.db)).toEqual(before);
  });

  it("ends a page early rather than outgrow the largest message, and still loses nothing", async () => {
    const small = await createTestApp({ config: { maxMessageBytes: 16 * 1024 } });
    try {
      // 300 events with long user ids and details: far over 16 KiB in one page.
      await small.db.query(
        `INSERT INTO audit_events (tenant_id, user_id, kind, at, api_key_id, client_ip, details)
         SELECT 'acme', repeat('u', 200) || g, 'test.big', now(), 'k1', '2001:db8::1',
                jsonb_build_object('reason', repeat('"r\\', 40), 'seq', g)
         FROM generate_series(1, 300) AS g`,
      );
      const client = adminClient(small.deps, adminCaller("acme"));
      const seen: string[] = [];
      let token = "";
      let pages = 0;
      do {
        const page = await client.listAuditEvents({ pageSize: 500, pageToken: token });
        pages++;
        expect(page.events.length).toBeGreaterThan(0);
        expect(toBinary(ListAuditEventsResponseSchema, page).length).toBeLessThanOrEqual(16 * 1024);
        expect(Buffer.byteLength(toJsonString(ListAuditEventsResponseSchema, page))).toBeLessThanOrEqual(16 * 1024);
        seen.push(...page.events.map((e) => e.id));
        token = page.nextPageToken;
      } while (token !== "");
      expect(pages).toBeGreaterThan(1);
      expect(seen).toEqual(await idsOf(small.db, "acme"));
    } finally {
      await small.close();
    }
  });
});
