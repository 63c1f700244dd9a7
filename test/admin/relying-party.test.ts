import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FixedClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { parseRelyingParty, relyingPartyFor, type RelyingPartyInput } from "../../src/domain/relying-party/index.js";
import { createTestApp, type TestApp } from "../support/app.js";
import { adminCaller, adminClient, invalidFields, snapshot } from "./admin-client.js";

const NITROKEY_FIDO2 = "c39efba6-fcf4-4c3e-828b-fc4a6115a0ff";

const good: RelyingPartyInput = {
  rpId: "example.com",
  rpName: "Example Login",
  allowedOrigins: ["https://login.example.com"],
  allowedAaguids: [],
};

/** The fields parseRelyingParty refuses `input` for. */
function refusedFields(input: Partial<RelyingPartyInput>): string[] {
  try {
    parseRelyingParty({ ...good, ...input });
  } catch (err) {
    if (err instanceof DomainError) return err.details.violations?.map((v) => v.field) ?? [];
    throw err;
  }
  return [];
}

describe("parseRelyingParty", () => {
  it("normalises origins to scheme://host[:port] and lower-cases the RP ID and AAGUIDs", () => {
    const rp = parseRelyingParty({
      rpId: "Example.COM",
      rpName: "Example",
      allowedOrigins: ["https://Login.Example.com:443/", "https://example.com:8443", "https://login.example.com"],
      allowedAaguids: [NITROKEY_FIDO2.toUpperCase(), NITROKEY_FIDO2],
    });
    expect(rp).toEqual({
      rpId: "example.com",
      rpName: "Example",
      allowedOrigins: ["https://login.example.com", "https://example.com:8443"],
      allowedAaguids: [NITROKEY_FIDO2],
      attestationRootCertificates: [],
    });
  });

  it("accepts localhost with plain http for development", () => {
    const rp = parseRelyingParty({ ...good, rpId: "localhost", allowedOrigins: ["http://localhost:3000"] });
    expect(rp.allowedOrigins).toEqual(["http://localhost:3000"]);
  });

  it("accepts an IDN RP ID in its xn-- form", () => {
    expect(refusedFields({ rpId: "xn--bcher-kva.example", allowedOrigins: ["https://xn--bcher-kva.example"] })).toEqual([]);
  });

  for (const rpId of ["", "com", "exa mple.com", "-bad.example.com", "example..com", "192.168.1.10", "bücher.example", "a".repeat(64) + ".com", "example.com."]) {
    it(`refuses the RP ID ${JSON.stringify(rpId.length > 20 ? rpId.slice(0, 20) + "…" : rpId)}`, () => {
      expect(refusedFields({ rpId })).toContain("rp_id");
    });
  }

  it("refuses an empty, overlong or control-character rp_name", () => {
    expect(refusedFields({ rpName: "" })).toEqual(["rp_name"]);
    expect(refusedFields({ rpName: "n".repeat(65) })).toEqual(["rp_name"]);
    expect(refusedFields({ rpName: "line\nbreak" })).toEqual(["rp_name"]);
    expect(refusedFields({ rpName: "n".repeat(64) })).toEqual([]);
  });

  for (const origin of [
    "http://login.example.com",
    "https://login.example.com/path",
    "https://login.example.com/?q=1",
    "https://login.example.com#frag",
    "https://user:pw@login.example.com",
    "ftp://login.example.com",
    "login.example.com",
    "https://evil.com",
    "https://notexample.com",
    " https://login.example.com",
  ]) {
    it(`refuses the origin ${JSON.stringify(origin)}`, () => {
      expect(refusedFields({ allowedOrigins: ["https://example.com", origin] })).toEqual(["allowed_origins[1]"]);
    });
  }

  it("wants between 1 and 20 origins", () => {
    expect(refusedFields({ allowedOrigins: [] })).toEqual(["allowed_origins"]);
    const twenty = Array.from({ length: 20 }, (_, i) => `https://h${i}.example.com`);
    expect(refusedFields({ allowedOrigins: twenty })).toEqual([]);
    expect(refusedFields({ allowedOrigins: [...twenty, "https://h20.example.com"] })).toEqual(["allowed_origins"]);
  });

  it("wants AAGUIDs as UUIDs, at most 100", () => {
    expect(refusedFields({ allowedAaguids: ["not-a-uuid"] })).toEqual(["allowed_aaguids[0]"]);
    expect(refusedFields({ allowedAaguids: [NITROKEY_FIDO2, "c39efba6fcf44c3e828bfc4a6115a0ff"] })).toEqual(["allowed_aaguids[1]"]);
    const hundredOne = Array.from({ length: 101 }, (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`);
    expect(refusedFields({ allowedAaguids: hundredOne.slice(0, 100) })).toEqual([]);
    expect(refusedFields({ allowedAaguids: hundredOne })).toEqual(["allowed_aaguids"]);
  });

  it("names every bad field at once", () => {
    expect(refusedFields({ rpId: "", rpName: "", allowedOrigins: [], allowedAaguids: ["x"] })).toEqual([
      "rp_id",
      "rp_name",
      "allowed_origins",
      "allowed_aaguids[0]",
    ]);
  });
});

describe("relying party over the API", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp({
      clock: new FixedClock(new Date("2026-03-01T10:00:00Z")),
      config: { rpId: "default.example", rpName: "Default RP", rpOrigins: ["https://default.example"] },
    });
  });
  afterAll(async () => {
    await app.close();
  });

  it("returns the configured default for a tenant that set none", async () => {
    const res = await adminClient(app.deps, adminCaller("fresh")).getRelyingParty({});
    expect(res.relyingParty).toMatchObject({
      rpId: "default.example",
      rpName: "Default RP",
      allowedOrigins: ["https://default.example"],
      allowedAaguids: [],
    });
  });

  it("stores a tenant's relying party, normalised, for its WebAuthn ceremonies only", async () => {
    const client = adminClient(app.deps, adminCaller("acme", "admin-key-7"));
    const set = await client.setRelyingParty({
      rpId: "acme.test",
      rpName: "ACME",
      allowedOrigins: ["https://Login.acme.test/", "https://acme.test"],
      allowedAaguids: [NITROKEY_FIDO2.toUpperCase()],
    });
    const want = {
      rpId: "acme.test",
      rpName: "ACME",
      allowedOrigins: ["https://login.acme.test", "https://acme.test"],
      allowedAaguids: [NITROKEY_FIDO2],
    };
    expect(set.relyingParty).toMatchObject(want);
    expect((await client.getRelyingParty({})).relyingParty).toMatchObject(want);
    expect(await relyingPartyFor(app.deps, "acme")).toEqual(want);
    expect((await relyingPartyFor(app.deps, "other")).rpId).toBe("default.example");
    const audit = await app.db.query<{ api_key_id: string }>(
      `SELECT api_key_id FROM audit_events WHERE tenant_id = 'acme' AND kind = 'admin.relying_party_set'`,
    );
    expect(audit.rows).toEqual([{ api_key_id: "admin-key-7" }]);
  });

  it("refuses a bad relying party naming each field and changes nothing", async () => {
    const client = adminClient(app.deps, adminCaller("acme"));
    const before = await snapshot(app.db);
    const fields = await invalidFields(
      client.setRelyingParty({ rpId: "not a domain", rpName: "", allowedOrigins: ["http://acme.test"], allowedAaguids: ["nope"] }),
    );
    expect(fields).toEqual(["rp_id", "rp_name", "allowed_origins[0]", "allowed_aaguids[0]"]);
    expect(await invalidFields(client.setRelyingParty({}))).toEqual(["rp_id", "rp_name", "allowed_origins"]);
    expect(await snapshot(app.db)).toEqual(before);
  });
});
