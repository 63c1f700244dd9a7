import { createClient, Code, ConnectError, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode } from "../../src/core/index.js";
import { apiKeyAuthenticator, createApiKey } from "../../src/domain/api-keys/index.js";
import { FixedClock } from "../../src/domain/clock.js";
import { AdminService, ResetScope } from "../../src/gen/twofold/v1/admin_pb.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { createServices } from "../../src/rpc/services.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { invalidFields } from "./admin-client.js";

/** 10 s into a 30 s TOTP step. */
const T0 = new Date("2026-03-01T10:00:10Z");

/** The bearer header a platform sends. */
function withKey(key: string): { authorization: string } {
  return { authorization: `Bearer ${key}` };
}

/**
 * AdminService on the real network server, with real API keys, next to the
 * services a platform calls at login: the path an operator's tooling takes.
 */
describe("AdminService end to end", () => {
  let app: TestApp;
  let server: RunningServer;
  let adminKey: { id: string; token: string };
  let serviceToken: string;
  let otherTenantAdmin: string;

  beforeAll(async () => {
    app = await createTestApp({ clock: new FixedClock(T0) });
    const created = await createApiKey(app.deps, { tenant: "acme", role: "admin", name: "ops" });
    adminKey = { id: created.apiKey.id, token: created.token };
    serviceToken = (await createApiKey(app.deps, { tenant: "acme", role: "service" })).token;
    otherTenantAdmin = (await createApiKey(app.deps, { tenant: "globex", role: "admin" })).token;
    server = await startServer({
      config: app.deps.config,
      logger: app.deps.logger,
      services: createServices(app.deps),
      authenticate: apiKeyAuthenticator(app.deps),
    });
  });
  afterAll(async () => {
    await server?.close();
    await app?.close();
  });

  const transports = (): { connect: Transport; grpc: Transport } => ({
    connect: createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
    grpc: createGrpcTransport({ baseUrl: server.url }),
  });

  function clients(transport: Transport): {
    admin: Client<typeof AdminService>;
    enrolment: Client<typeof EnrolmentService>;
    auth: Client<typeof AuthenticationService>;
  } {
    return {
      admin: createClient(AdminService, transport),
      enrolment: createClient(EnrolmentService, transport),
      auth: createClient(AuthenticationService, transport),
    };
  }

  it("refuses a service key with PERMISSION_DENIED on every protocol", async () => {
    for (const [name, transport] of Object.entries(transports())) {
      const err = await clients(transport)
        .admin.getUserState({ userId: "alice" }, { headers: withKey(serviceToken) })
        .then(() => undefined, (e: unknown) => ConnectError.from(e));
      expect(err?.code, name).toBe(Code.PermissionDenied);
    }
  });

  it("resets a user's enrolled TOTP so the next Challenge needs no second factor, audited with the admin key", async () => {
    const { admin, enrolment, auth } = clients(transports().connect);
    const asService = { headers: withKey(serviceToken) };
    const asAdmin = { headers: withKey(adminKey.token) };
    const userId = "alice@acme.test";

    // Ensure the user has a confirmed TOTP factor, enrolled as a platform would.
    const enrolled = await enrolment.enrol({ userId, label: "phone", spec: { case: "totp", value: {} } }, asService);
    const secretHex = enrolled.enrolment.case === "otp" ? enrolled.enrolment.value.secretHex : "";
    const code = totpCode(Buffer.from(secretHex, "hex"), "SHA1", 6, 30, Math.floor(T0.getTime() / 1000));
    const confirmed = await enrolment.confirmEnrolment(
      { userId, factorId: enrolled.factor?.id ?? "", proof: { case: "otpCode", value: code } },
      asService,
    );
    expect(confirmed.factor?.id).toBe(enrolled.factor?.id);
    expect((await auth.challenge({ userId }, asService)).secondFactorRequired).toBe(true);

    // Ensure the admin sees it, and another tenant's admin does not.
    expect((await admin.getUserState({ userId }, asAdmin)).factors.map((f) => f.id)).toEqual([enrolled.factor?.id]);
    expect((await admin.getUserState({ userId }, { headers: withKey(otherTenantAdmin) })).factors).toEqual([]);

    const reset = await admin.resetSecondFactor({ userId, scope: ResetScope.ALL }, asAdmin);
    expect(reset.factorsRemoved).toBe(1);
    expect((await auth.challenge({ userId }, asService)).secondFactorRequired).toBe(false);

    const page = await admin.listAuditEvents({ userId, pageSize: 10 }, asAdmin);
    const resetEvent = page.events.find((e) => e.kind === "admin.second_factor_reset");
    expect(resetEvent?.apiKeyId).toBe(adminKey.id);
    expect(page.events.map((e) => e.kind)).toContain("factor.confirmed");
    expect(JSON.stringify(page.events, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(secretHex);
  });

  it("sends INVALID_ARGUMENT with the field over the wire on both protocols", async () => {
    for (const transport of Object.values(transports())) {
      const { admin } = clients(transport);
      const asAdmin = { headers: withKey(adminKey.token) };
      expect(await invalidFields(admin.resetSecondFactor({ userId: "bob" }, asAdmin))).toEqual(["scope"]);
      expect(await invalidFields(admin.listAuditEvents({ pageToken: "forged" }, asAdmin))).toEqual(["page_token"]);
    }
  });
});
