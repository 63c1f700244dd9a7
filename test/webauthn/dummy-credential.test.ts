import { decodeCredentialPublicKey } from "@simplewebauthn/server/helpers";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { verifyAssertion } from "../../src/domain/webauthn/authentication/verify-assertion.js";
import { dummyCredential } from "../../src/domain/webauthn/helpers/dummy-credential.js";
import { browser, fido2Key, ORIGIN, PIN } from "./harness.js";

const RP = { rpId: "localhost", rpName: "twofold", allowedOrigins: [ORIGIN], allowedAaguids: [] };

describe("the dummy credential for unknown ids", () => {
  it("is a well-formed COSE ES256 key, so the full signature check runs and fails", async () => {
    const cose = decodeCredentialPublicKey(new Uint8Array(dummyCredential("x").public_key ?? Buffer.alloc(0)));
    expect(cose.get(1)).toBe(2);
    expect(cose.get(3)).toBe(-7);

    const key = await fido2Key();
    const challenge = Buffer.alloc(32, 1).toString("base64url");
    const page = browser();
    const created = await page.create(
      {
        rp: { id: "localhost", name: "twofold" },
        user: { id: Buffer.from("u").toString("base64url"), name: "u", displayName: "u" },
        challenge,
        pubKeyCredParams: [{ type: "public-key", alg: -7 }],
      },
      key,
      { pin: PIN },
    );
    const assertion = (await page.get({ rpId: "localhost", challenge, allowCredentials: [{ type: "public-key", id: created.id }] }, key)) as AuthenticationResponseJSON;
    const logs: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(line) });
    const result = await verifyAssertion({ logger }, { response: assertion, challenge, rp: RP, role: "webauthn", credential: dummyCredential(created.id) });
    expect(result).toEqual({ ok: false, reason: "invalid_assertion" });
    // Refused by the signature, not earlier by a malformed key or ceremony data (which would log a cause).
    expect(logs).toEqual([]);
  });
});
