import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestMeta } from "../../src/domain/caller.js";
import { FixedClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { challenge, EXPIRED_TRANSACTION_KEPT_MS, sweepExpiredTransactions, verifyLogin } from "../../src/domain/login/index.js";
import { TRANSACTION_TTL_MS } from "../../src/domain/login/transaction-store.js";
import { createTestApp, type TestApp } from "../support/app.js";

const T0 = new Date("2026-03-01T12:00:05Z");
const META: RequestMeta = { caller: { tenant: "sweep", keyId: "k1", role: "service" }, clientIp: "198.51.100.4", requestId: "r" };

let app: TestApp;
const clock = new FixedClock(T0);

beforeAll(async () => {
  app = await createTestApp({ clock });
});
afterAll(async () => {
  await app?.close();
});

async function open(userId: string): Promise<string> {
  return (await challenge(app.deps, META, { userId, userGroups: [] })).transactionId;
}

async function stored(ids: readonly string[]): Promise<string[]> {
  const r = await app.db.query<{ id: string }>("SELECT id::text AS id FROM login_transactions WHERE id = ANY ($1::uuid[]) ORDER BY created_at", [ids]);
  return r.rows.map((row) => row.id);
}

async function verifyError(transactionId: string): Promise<string> {
  try {
    await verifyLogin(app.deps, META, { transactionId, proof: { kind: "otp", code: "000000", factorId: undefined } });
  } catch (err) {
    if (err instanceof DomainError) return `${err.kind}${err.details.reason === undefined ? "" : ` ${err.details.reason}`}`;
    throw err;
  }
  return "no error";
}

describe("the login transaction sweep", () => {
  it("deletes transactions an hour after they expired, keeps younger ones, and a late Verify then finds nothing", async () => {
    clock.set(T0);
    const old = await open("sweep-old");
    clock.set(new Date(T0.getTime() + 10 * 60_000));
    const recent = await open("sweep-recent");
    // `old` expired EXPIRED_TRANSACTION_KEPT_MS + 1 s ago; `recent` five minutes later.
    clock.set(new Date(T0.getTime() + TRANSACTION_TTL_MS + EXPIRED_TRANSACTION_KEPT_MS + 1_000));
    expect(await verifyError(recent)).toBe("failed_precondition TRANSACTION_EXPIRED");
    expect(await sweepExpiredTransactions(app.deps)).toBeGreaterThanOrEqual(1);
    expect(await stored([old, recent])).toEqual([recent]);
    expect(await verifyError(old)).toBe("not_found");
    expect(await verifyError(recent)).toBe("failed_precondition TRANSACTION_EXPIRED");
    // Nothing left to sweep until `recent` is old enough.
    expect(await sweepExpiredTransactions(app.deps)).toBe(0);
  });

  it("never touches an open transaction", async () => {
    clock.set(new Date(T0.getTime() + 24 * 3600_000));
    const open1 = await open("sweep-open");
    await sweepExpiredTransactions(app.deps);
    expect(await stored([open1])).toEqual([open1]);
  });
});
