import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCENARIOS } from "../../emulator/scenarios/catalogue.js";
import { runScenarios } from "../../emulator/scenarios/runner.js";
import { AdminService } from "../../src/gen/twofold/v1/admin_pb.js";
import { connectClient } from "../support/clients.js";
import { liveDatabase, runnerOptions, sharedClock, startLiveServer, type LiveDatabase, type LiveServer } from "./live-service.js";

/** Every scenario of the catalogue must pass against the real service. */
const ALL = SCENARIOS.map((s) => s.name);

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
  it.each(ALL)("passes %s", async (name) => {
    const report = await runScenarios({ ...runnerOptions(live, db.adminKey, clock), scenarios: [name] });
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ name, status: "passed" });
  });

  it("runs with a service key too, each scenario as a user of its own, WebAuthn on the default origin", async () => {
    const names = ["replayed-code-refused", "mail-client-app-password", "fido-u2f-login"];
    const report = await runScenarios({ ...runnerOptions(live, db.serviceKey, clock), scenarios: names });
    expect(report.results.map((r) => [r.name, r.status, r.error])).toEqual(names.map((n) => [n, "passed", undefined]));
  });

  it("plays WebAuthn on the tenant's own relying party, read with an admin key, and fails from an origin it does not allow", async () => {
    const admin = connectClient(AdminService, live.server.url, { apiKey: db.adminKey });
    await admin.setRelyingParty({ rpId: "login.acme.test", rpName: "Acme", allowedOrigins: ["https://login.acme.test"] });
    try {
      const report = await runScenarios({ ...runnerOptions(live, db.adminKey, clock), scenarios: ["nitrokey-fido2-login"] });
      expect(report.results[0]).toMatchObject({ status: "passed" });
      // A page on a subdomain the tenant does not allow: the browser signs (the rp id is a parent domain), the service must refuse.
      const origin = "https://other.login.acme.test";
      const wrongOrigin = await runScenarios({ ...runnerOptions(live, db.adminKey, clock), scenarios: ["nitrokey-fido2-login"], origin });
      expect(wrongOrigin.results[0]).toMatchObject({
        status: "failed",
        error: "ConfirmEnrolment refused the authenticator's attestation (reason INVALID_ASSERTION)",
      });
    } finally {
      await admin.setRelyingParty({ rpId: "localhost", rpName: "twofold", allowedOrigins: ["http://localhost:3000"] });
    }
  });
});
