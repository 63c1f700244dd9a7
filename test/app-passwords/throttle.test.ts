import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FixedClock } from "../../src/domain/clock.js";
import { RetryInfoSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { auditKinds, clientsFor, START, type Clients } from "../backup-codes/harness.js";

let app: TestApp;
let rpc: Clients;
const clock = new FixedClock(START);

beforeAll(async () => {
  app = await createTestApp({ clock });
  rpc = clientsFor(app.deps);
});
afterAll(async () => app.close());

const WRONG = "00000-00000-00000-00000-00000";

async function throttledDelayMs(call: Promise<unknown>): Promise<number> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  const ce = err as ConnectError;
  expect(ce.code).toBe(Code.ResourceExhausted);
  const [info] = ce.findDetails(RetryInfoSchema);
  const delay = info?.retryDelay;
  return delay === undefined ? Number.NaN : Number(delay.seconds) * 1000 + delay.nanos / 1e6;
}

describe("throttling app password attempts", () => {
  it("makes the user wait after five failures, refuses the right password meanwhile, and accepts it after", async () => {
    const { password } = await rpc.apps.createAppPassword({ userId: "target", name: "mail", scopes: ["imap"] });
    for (let i = 0; i < 5; i++) {
      const res = await rpc.apps.verifyAppPassword({ userId: "target", password: WRONG, requiredScope: "imap" });
      expect(res.reason).toBe(FailureReason.WRONG_CODE);
    }
    expect(await throttledDelayMs(rpc.apps.verifyAppPassword({ userId: "target", password, requiredScope: "imap" }))).toBe(1000);
    clock.advance(999);
    expect(await throttledDelayMs(rpc.apps.verifyAppPassword({ userId: "target", password, requiredScope: "imap" }))).toBe(1);
    const listed = (await rpc.apps.listAppPasswords({ userId: "target" })).appPasswords[0];
    expect(listed?.lastUsedAt).toBeUndefined();

    clock.advance(1);
    const res = await rpc.apps.verifyAppPassword({ userId: "target", password, requiredScope: "imap" });
    expect(res.verified).toBe(true);
    expect(await auditKinds(app.db, "target")).toContain("throttle.blocked");
  });

  it("doubles the wait with each further failure and forgets it after a success", async () => {
    const { password } = await rpc.apps.createAppPassword({ userId: "doubling", name: "mail", scopes: ["imap"] });
    for (let i = 0; i < 5; i++) await rpc.apps.verifyAppPassword({ userId: "doubling", password: WRONG, requiredScope: "imap" });
    clock.advance(1000);
    await rpc.apps.verifyAppPassword({ userId: "doubling", password: WRONG, requiredScope: "imap" });
    expect(await throttledDelayMs(rpc.apps.verifyAppPassword({ userId: "doubling", password, requiredScope: "imap" }))).toBe(2000);
    clock.advance(2000);
    expect((await rpc.apps.verifyAppPassword({ userId: "doubling", password, requiredScope: "imap" })).verified).toBe(true);
    for (let i = 0; i < 4; i++) await rpc.apps.verifyAppPassword({ userId: "doubling", password: WRONG, requiredScope: "imap" });
    expect((await rpc.apps.verifyAppPassword({ userId: "doubling", password, requiredScope: "imap" })).verified).toBe(true);
  });

  it("throttles per user: another user of the tenant is not slowed", async () => {
    for (let i = 0; i < 5; i++) await rpc.apps.verifyAppPassword({ userId: "noisy", password: WRONG, requiredScope: "imap" });
    const { password } = await rpc.apps.createAppPassword({ userId: "neighbour", name: "mail", scopes: ["imap"] });
    expect((await rpc.apps.verifyAppPassword({ userId: "neighbour", password, requiredScope: "imap" })).verified).toBe(true);
    expect(await throttledDelayMs(rpc.apps.verifyAppPassword({ userId: "noisy", password: WRONG, requiredScope: "imap" }))).toBeGreaterThan(0);
  });
});
