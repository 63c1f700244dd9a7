import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from "../../emulator/index.js";
import type { AppDeps } from "../../src/app.js";
import { createKeyring } from "../../src/crypto/keyring-aes.js";
import type { RequestMeta } from "../../src/domain/caller.js";
import { FixedClock } from "../../src/domain/clock.js";
import { listFactors } from "../../src/domain/factors/index.js";
import { challenge, verifyLogin } from "../../src/domain/login/index.js";
import { seededRandom } from "../support/random.js";
import { confirmWebAuthnEnrolment, enrolWebAuthn } from "../../src/domain/webauthn/index.js";
import { openEmbeddedDb } from "../../src/store/embedded.js";
import { migrate } from "../../src/store/migrate.js";
import { testConfig } from "../support/app.js";
import { browser, fido2Key, PIN } from "./harness.js";

const META: RequestMeta = { caller: { tenant: "emb", keyId: "k-emb", role: "service" }, clientIp: "", requestId: "r1" };

/** The WebAuthn flows through the domain on the embedded store (PGlite), which `twofold serve` uses without DATABASE_URL. */
describe("WebAuthn on the embedded store", () => {
  let dir: string;
  let deps: AppDeps;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "twofold-webauthn-"));
    const db = await openEmbeddedDb(dir);
    await migrate(db);
    const config = testConfig();
    deps = {
      config,
      db,
      keyring: createKeyring(config.keys, config.pepper ?? Buffer.alloc(32)),
      clock: new FixedClock(new Date()),
      random: seededRandom("webauthn-embedded"),
      logger: pino({ level: "silent" }),
    };
  });
  afterAll(async () => {
    await deps.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function enrol(userId: string, passwordless: boolean, key: Awaited<ReturnType<typeof fido2Key>>) {
    const started = await enrolWebAuthn(deps, META, { userId, label: "Key", passwordless, userName: "", userDisplayName: "" });
    const options = JSON.parse(started.creationOptionsJson) as PublicKeyCredentialCreationOptionsJSON;
    const registration = (await browser().create(options, key, { pin: PIN })) as RegistrationResponseJSON;
    return confirmWebAuthnEnrolment(deps, META, { userId, factorId: started.factor.id, attestation: registration });
  }

  it("enrols both roles, logs in with each, and refuses a counter that went back", async () => {
    const user = "emil";
    const second = await fido2Key("nitrokey-fido2");
    const pwl = await fido2Key("nitrokey-3-xn");
    expect((await enrol(user, false, second)).confirmed).toBe(true);
    expect((await enrol(user, true, pwl)).confirmed).toBe(true);
    expect((await listFactors(deps, "emb", user)).map((f) => f.authenticatorName).sort()).toEqual(["Nitrokey 3 xN", "Nitrokey FIDO2"]);

    const tx = await challenge(deps, META, { userId: user, userGroups: [] });
    const option = tx.providers.find((p) => p.provider === "webauthn");
    const request = JSON.parse(option?.webauthnRequestOptionsJson ?? "{}") as PublicKeyCredentialRequestOptionsJSON;
    const assertion = (await browser().get(request, second)) as AuthenticationResponseJSON;
    const ok = await verifyLogin(deps, META, { transactionId: tx.transactionId, proof: { kind: "webauthn", assertion } });
    expect(ok.verified).toBe(true);

    const open = await challenge(deps, META, { purpose: "passwordless", userId: "", userGroups: [] });
    const pwlRequest = JSON.parse(open.providers[0]?.webauthnRequestOptionsJson ?? "{}") as PublicKeyCredentialRequestOptionsJSON;
    const pwlAssertion = (await browser().get(pwlRequest, pwl, { pin: PIN })) as AuthenticationResponseJSON;
    const who = await verifyLogin(deps, META, { transactionId: open.transactionId, proof: { kind: "webauthn", assertion: pwlAssertion } });
    expect(who.verified && who.context.userId).toBe(user);

    second.faults = { counter: "backwards" };
    const tx2 = await challenge(deps, META, { userId: user, userGroups: [] });
    const request2 = JSON.parse(tx2.providers.find((p) => p.provider === "webauthn")?.webauthnRequestOptionsJson ?? "{}") as PublicKeyCredentialRequestOptionsJSON;
    const cloned = (await browser().get(request2, second)) as AuthenticationResponseJSON;
    expect(await verifyLogin(deps, META, { transactionId: tx2.transactionId, proof: { kind: "webauthn", assertion: cloned } })).toEqual({
      verified: false,
      reason: "clone_suspected",
    });
  });
});
