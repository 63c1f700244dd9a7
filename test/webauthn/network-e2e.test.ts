import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from "../../emulator/index.js";
import { apiKeyAuthenticator, createApiKey } from "../../src/domain/api-keys/index.js";
import { AuthenticationService } from "../../src/gen/twofold/v1/authentication_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { FactorKind, FailureReason, Provider, Purpose } from "../../src/gen/twofold/v1/types_pb.js";
import { createServices } from "../../src/rpc/services.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { browser, fido2Key, PIN, u2fKey } from "./harness.js";

/**
 * WebAuthn over the real network server with real API keys, on the Connect
 * and gRPC protocols: what a platform's login page and backend do.
 */
describe("WebAuthn end to end", () => {
  let app: TestApp;
  let server: RunningServer;
  let token: string;

  beforeAll(async () => {
    app = await createTestApp();
    token = (await createApiKey(app.deps, { tenant: "acme", role: "service" })).token;
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

  function clients(transport: Transport): { enrolment: Client<typeof EnrolmentService>; auth: Client<typeof AuthenticationService> } {
    return { enrolment: createClient(EnrolmentService, transport), auth: createClient(AuthenticationService, transport) };
  }
  const headers = () => ({ authorization: `Bearer ${token}` });
  const protocols: [string, () => Transport][] = [
    ["Connect", () => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" })],
    ["gRPC", () => createGrpcTransport({ baseUrl: server.url })],
  ];

  for (const [name, transport] of protocols) {
    it(`enrols a second-factor key and a passwordless key and logs in with both over ${name}`, async () => {
      const { enrolment, auth } = clients(transport());
      const user = `e2e-${name}@example.com`;
      const page = browser();

      // Second factor: a FIDO U2F key.
      const u2f = await u2fKey();
      const started = await enrolment.enrol(
        { userId: user, label: "U2F key", spec: { case: "webauthn", value: { passwordless: false, userName: user, userDisplayName: "E2E" } } },
        { headers: headers() },
      );
      if (started.enrolment.case !== "webauthn") throw new Error("expected a WebAuthn enrolment");
      const creation = JSON.parse(started.enrolment.value.creationOptionsJson) as PublicKeyCredentialCreationOptionsJSON;
      const registration = await page.create(creation, u2f);
      const confirmed = await enrolment.confirmEnrolment(
        { userId: user, factorId: started.factor?.id ?? "", proof: { case: "webauthnAttestationJson", value: JSON.stringify(registration) } },
        { headers: headers() },
      );
      expect(confirmed.confirmed).toBe(true);

      const ch = await auth.challenge({ userId: user, purpose: Purpose.SECOND_FACTOR, clientIp: "192.0.2.1" }, { headers: headers() });
      expect(ch.secondFactorRequired).toBe(true);
      const option = ch.providers.find((p) => p.provider === Provider.WEBAUTHN);
      const request = JSON.parse(option?.webauthnRequestOptionsJson ?? "{}") as PublicKeyCredentialRequestOptionsJSON;
      const assertion = await page.get(request, u2f);
      const verified = await auth.verify(
        { transactionId: ch.transactionId, clientIp: "192.0.2.1", proof: { case: "webauthn", value: { assertionJson: JSON.stringify(assertion) } } },
        { headers: headers() },
      );
      expect(verified.verified).toBe(true);
      expect(verified.context?.amr).toEqual(["hwk", "mfa"]);

      // Passwordless: a Nitrokey 3 with a PIN.
      const nk3 = await fido2Key("nitrokey-3-am");
      const pwlStart = await enrolment.enrol(
        { userId: user, label: "Nitrokey 3", spec: { case: "webauthn", value: { passwordless: true, userName: user, userDisplayName: "" } } },
        { headers: headers() },
      );
      if (pwlStart.enrolment.case !== "webauthn") throw new Error("expected a WebAuthn enrolment");
      const pwlCreation = JSON.parse(pwlStart.enrolment.value.creationOptionsJson) as PublicKeyCredentialCreationOptionsJSON;
      expect(pwlCreation.excludeCredentials?.map((c) => c.id)).toEqual([registration.id]);
      const pwlRegistration = await page.create(pwlCreation, nk3, { pin: PIN });
      const pwlConfirmed = await enrolment.confirmEnrolment(
        { userId: user, factorId: pwlStart.factor?.id ?? "", proof: { case: "webauthnAttestationJson", value: JSON.stringify(pwlRegistration) } },
        { headers: headers() },
      );
      expect(pwlConfirmed.confirmed).toBe(true);

      const listed = await enrolment.listFactors({ userId: user }, { headers: headers() });
      expect(listed.factors.map((f) => [f.kind, f.authenticatorName])).toEqual([
        [FactorKind.WEBAUTHN, "FIDO U2F key"],
        [FactorKind.PASSWORDLESS, "Nitrokey 3 AM"],
      ]);

      const pwlCh = await auth.challenge({ userId: "", purpose: Purpose.PASSWORDLESS }, { headers: headers() });
      const pwlRequest = JSON.parse(pwlCh.providers[0]?.webauthnRequestOptionsJson ?? "{}") as PublicKeyCredentialRequestOptionsJSON;
      const pwlAssertion = await page.get(pwlRequest, nk3, { pin: PIN });
      const who = await auth.verify(
        { transactionId: pwlCh.transactionId, proof: { case: "webauthn", value: { assertionJson: JSON.stringify(pwlAssertion) } } },
        { headers: headers() },
      );
      expect(who.verified).toBe(true);
      expect(who.context?.userId).toBe(user);
      expect(who.context?.amr).toEqual(["hwk", "pin", "mfa"]);

      // The passwordless assertion is no second factor.
      const again = await auth.challenge({ userId: user, purpose: Purpose.SECOND_FACTOR }, { headers: headers() });
      const wrong = await auth.verify(
        { transactionId: again.transactionId, proof: { case: "webauthn", value: { assertionJson: JSON.stringify(pwlAssertion) } } },
        { headers: headers() },
      );
      expect(wrong.verified).toBe(false);
      expect(wrong.reason).toBe(FailureReason.WRONG_ROLE);
    });
  }
});
