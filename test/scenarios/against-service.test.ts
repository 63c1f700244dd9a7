import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScenarios } from "../../emulator/scenarios/runner.js";
import { liveDatabase, runnerOptions, sharedClock, startLiveServer, type LiveDatabase, type LiveServer } from "./live-service.js";

/** Scenarios whose service features exist today: each must pass against the real service. */
const BUILT = [
  "nitrokey-pro-totp-login",
  "replayed-code-refused",
  "pin-protected-otp-slot",
  "lost-token-backup-code",
  "mail-client-app-password",
  "drift-70s-late",
] as const;

const clock = sharedClock();
let db: LiveDatabase;
let live: LiveServer;

beforeAll(async () => {
  db = await liveDatabase(clock);
  live = await startLiveServer(db);
});

afterAll(async () => {
  await live?.close();
  await db?.close();
});

describe("scenarios against the real service", () => {
  it.each(BUILT)("passes %s", async (name) => {
    const report = await runScenarios({ ...runnerOptions(live, db.adminKey, clock), scenarios: [name] });
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ name, status: "passed" });
  });

  it("runs a service key's scenarios too, each as a user of its own", async () => {
    const report = await runScenarios({ ...runnerOptions(live, db.serviceKey, clock), scenarios: ["replayed-code-refused", "mail-client-app-password"] });
    expect(report.results.map((r) => [r.name, r.status, r.error])).toEqual([
      ["replayed-code-refused", "passed", undefined],
      ["mail-client-app-password", "passed", undefined],
    ]);
  });
});
