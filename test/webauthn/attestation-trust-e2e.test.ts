import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fido2Authenticator, type PublicKeyCredentialCreationOptionsJSON } from "../../emulator/index.js";
import { apiKeyAuthenticator, createApiKey } from "../../src/domain/api-keys/index.js";
import { AdminService } from "../../src/gen/twofold/v1/admin_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { createServices } from "../../src/rpc/services.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { browser, ORIGIN, PIN } from "./harness.js";
import { NITROKEY_3_XN, pinnedCa } from "./trust-fixtures.js";

/**
 * The allow-list over the real network server with real API keys: an
 * administrator sets the roots through SetRelyingParty in Connect JSON (bytes
 * as base64), and a platform's backend confirms enrolments over gRPC.
 */
describe("attestation trust end to end", () => {
  let app: TestApp;
  let server: RunningServer;
  let adminToken: string;
  let serviceToken: string;

  beforeAll(async () => {
    app = await createTestApp();
    adminToken = (await createApiKey(app.deps, { tenant: "acme", role: "admin" })).token;
    serviceToken = (await createApiKey(app.deps, { tenant: "acme", role: "service" })).token;
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

  const json = (): Transport => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", useBinaryFormat: false });
  const grpc = (): Transport => createGrpcTransport({ baseUrl: server.url });

  it("refuses a `none` registration of an allowed model and confirms one chained to the configured root", async () => {
    const ca = await pinnedCa();
    const admin = createClient(AdminService, json());
    const set = await admin.setRelyingParty(
      { rpId: "localhost", rpName: "ACME", allowedOrigins: [ORIGIN], allowedAaguids: [NITROKEY_3_XN], attestationRootCertificates: [ca.rootCertificateDer] },
      { headers: { authorization: `Bearer ${adminToken}` } },
    );
    expect(Buffer.from(set.relyingParty?.attestationRootCertificates[0] ?? new Uint8Array())).toEqual(Buffer.from(ca.rootCertificateDer));

    const enrolment = createClient(EnrolmentService, grpc());
    const headers = { authorization: `Bearer ${serviceToken}` };
    const attempt = async (attestation: "none" | "direct") => {
      const key = await Fido2Authenticator.create({ profile: "nitrokey-3-xn", ca, pin: PIN });
      const started = await enrolment.enrol(
        { userId: "alice@example.com", label: `key ${attestation}`, spec: { case: "webauthn", value: { passwordless: false, userName: "", userDisplayName: "" } } },
        { headers },
      );
      if (started.enrolment.case !== "webauthn") throw new Error("expected a WebAuthn enrolment");
      const options = JSON.parse(started.enrolment.value.creationOptionsJson) as PublicKeyCredentialCreationOptionsJSON;
      const registration = await browser().create({ ...options, attestation }, key, { pin: PIN });
      return enrolment.confirmEnrolment(
        { userId: "alice@example.com", factorId: started.factor?.id ?? "", proof: { case: "webauthnAttestationJson", value: JSON.stringify(registration) } },
        { headers },
      );
    };

    const forged = await attempt("none");
    expect(forged.confirmed).toBe(false);
    expect(forged.reason).toBe(FailureReason.ATTESTATION_NOT_TRUSTED);
    const genuine = await attempt("direct");
    expect(genuine.confirmed, `reason ${FailureReason[genuine.reason]}`).toBe(true);
    expect(genuine.factor?.authenticatorName).toBe("Nitrokey 3 xN");
  });
});
