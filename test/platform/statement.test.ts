import { describe, expect, it } from "vitest";
import type { Queryable, QueryOptions } from "../../src/store/db.js";
import { Statement } from "../../src/store/statement.js";

interface Sent {
  text: string;
  name: string | undefined;
  values: readonly unknown[];
}

/** A Queryable that records what it is sent and answers no rows (pure composition, no database). */
function recorder(): { q: Queryable; sent: Sent[] } {
  const sent: Sent[] = [];
  const q: Queryable = {
    query: async (text: string, values: readonly unknown[] = [], opts?: QueryOptions) => {
      sent.push({ text, name: opts?.name, values });
      return { rows: [], rowCount: 0 };
    },
    exec: async () => {},
  };
  return { q, sent };
}

function composed(table: string, tenant: string): Statement {
  const s = new Statement();
  s.with("t", `SELECT id FROM ${table} WHERE tenant_id = ${s.named("tenant", tenant, "text")}`);
  return s;
}

describe("a composed statement's prepared name", () => {
  it("is the same for the same text however it was built, and the text first seen is what is sent", async () => {
    const { q, sent } = recorder();
    await composed("factors", "acme").run(q, "SELECT * FROM t");
    await composed("factors", "other").run(q, "SELECT * FROM t");
    expect(sent[0]?.name).toMatch(/^tf_[0-9a-f]{24}$/);
    expect(sent[1]?.name).toBe(sent[0]?.name);
    expect(sent[1]?.text).toBe(sent[0]?.text);
    expect(sent.map((c) => c.values)).toEqual([["acme"], ["other"]]);
  });

  it("differs for texts of the same length that differ", async () => {
    const { q, sent } = recorder();
    await composed("aaaaaaa", "acme").run(q, "SELECT * FROM t");
    await composed("bbbbbbb", "acme").run(q, "SELECT * FROM t");
    await composed("aaaaaaa", "acme").run(q, "SELECT * FROM t");
    expect(sent[0]?.text.length).toBe(sent[1]?.text.length);
    expect(sent[1]?.text).toContain("bbbbbbb");
    expect(sent[1]?.name).not.toBe(sent[0]?.name);
    expect(sent[2]?.name).toBe(sent[0]?.name);
    expect(sent[2]?.text).toContain("aaaaaaa");
  });
});
