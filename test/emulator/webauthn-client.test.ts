import { generateRegistrationOptions } from "@simplewebauthn/server";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AttestationCa,
  CtapError,
  CtapStatus,
  Fido2Authenticator,
  U2fToken,
  WebAuthnClient,
  WebAuthnError,
  cborDecode,
  fromBase64Url,
  rpIdHash,
  seededRandomBytes,
  toBase64Url,
  type PublicKeyCredentialCreationOptionsJSON,
} from "../../emulator/index.js";
import { registerWithBoth, authenticateWithBoth, type Expectation } from "./support/relying-parties.js";

const ORIGIN = "https://login.example.com";
const RP_ID = "example.com";
let ca: AttestationCa;
const client = new WebAuthnClient({ origin: ORIGIN });

beforeAll(async () => {
  ca = await AttestationCa.create();
});

function creation(overrides: Partial<PublicKeyCredentialCreationOptionsJSON> = {}): PublicKeyCredentialCreationOptionsJSON {
  return {
    rp: { id: RP_ID, name: "Example" },
    user: { id: toBase64Url(Buffer.from("user-1")), name: "alice", displayName: "Alice" },
    challenge: toBase64Url(Buffer.from("a challenge of thirty-two bytes!")),
    pubKeyCredParams: [{ type: "public-key", alg: -7 }],
    attestation: "direct",
    authenticatorSelection: { residentKey: "discouraged", userVerification: "discouraged" },
    ...overrides,
  };
}

function request(allow: string[], overrides: Record<string, unknown> = {}) {
  return {
    rpId: RP_ID,
    challenge: toBase64Url(Buffer.from("another challenge, 32 bytes long")),
    allowCredentials: allow.map((id) => ({ type: "public-key", id })),
    userVerification: "discouraged",
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<WebAuthnError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof WebAuthnError) return err;
    throw err;
  }
  throw new Error("the ceremony succeeded");
}

function ctapCause(err: WebAuthnError): number | undefined {
  return err.cause instanceof CtapError ? err.cause.status : undefined;
}

describe("clientDataJSON and the toJSON shape", () => {
  it("serialises clientDataJSON in the spec's member order with crossOrigin false", async () => {
    const device = await Fido2Authenticator.create({ ca });
    const options = creation();
    const response = await client.create(options, device);
    expect(Buffer.from(response.response.clientDataJSON, "base64url").toString()).toBe(
      `{"type":"webauthn.create","challenge":"${options.challenge}","origin":"${ORIGIN}","crossOrigin":false}`,
    );
  });

  it("adds topOrigin only for a cross-origin ceremony", async () => {
    const device = await Fido2Authenticator.create({ ca });
    const registered = await client.create(creation(), device);
    const framed = new WebAuthnClient({ origin: ORIGIN, faults: { topOrigin: "https://shop.example" } });
    const r = request([registered.id]);
    const assertion = await framed.get(r, device);
    expect(Buffer.from(assertion.response.clientDataJSON, "base64url").toString()).toBe(
      `{"type":"webauthn.get","challenge":"${r.challenge}","origin":"${ORIGIN}","crossOrigin":true,"topOrigin":"https://shop.example"}`,
    );
  });

  it("returns exactly the members PublicKeyCredential.toJSON() has, in base64url", async () => {
    const device = await Fido2Authenticator.create({ profile: "nitrokey-3-xn", ca });
    const created = await client.create(creation({ extensions: { credProps: true } }), device);
    expect(Object.keys(created).sort()).toEqual(["authenticatorAttachment", "clientExtensionResults", "id", "rawId", "response", "type"]);
    expect(Object.keys(created.response).sort()).toEqual(
      ["attestationObject", "authenticatorData", "clientDataJSON", "publicKey", "publicKeyAlgorithm", "transports"],
    );
    expect(created).toMatchObject({ type: "public-key", authenticatorAttachment: "cross-platform", clientExtensionResults: { credProps: { rk: false } } });
    expect(created.response.transports).toEqual(["nfc", "usb"]);
    for (const v of [created.id, created.response.attestationObject, created.response.publicKey ?? ""]) expect(v).toMatch(/^[A-Za-z0-9_-]+$/);
    const got = await client.get(request([created.id]), device);
    expect(Object.keys(got.response).sort()).toEqual(["authenticatorData", "clientDataJSON", "signature"]);
    expect(got.id).toBe(created.id);
  });
});

describe("attestation conveyance", () => {
  it("rewrites attestation to fmt none with an empty statement when the relying party asks for none", async () => {
    const device = await Fido2Authenticator.create({ ca });
    const options = await generateRegistrationOptions({ rpName: "x", rpID: RP_ID, userName: "alice", attestationType: "none" });
    const response = await client.create(options, device);
    const decoded = cborDecode(fromBase64Url(response.response.attestationObject)) as Map<string, unknown>;
    expect([...decoded.keys()]).toEqual(["fmt", "attStmt", "authData"]);
    expect(decoded.get("fmt")).toBe("none");
    expect((decoded.get("attStmt") as Map<string, unknown>).size).toBe(0);
    const stored = await registerWithBoth(response, { challenge: options.challenge, origin: ORIGIN, rpId: RP_ID });
    expect(stored.fmt).toBe("none");
    expect(stored.aaguid).toBe("c39efba6-fcf4-4c3e-828b-fc4a6115a0ff");
  });

  it("zeroes the AAGUID for none when configured as an older browser", async () => {
    const device = await Fido2Authenticator.create({ ca });
    const old = new WebAuthnClient({ origin: ORIGIN, zeroAaguidForNone: true });
    const options = await generateRegistrationOptions({ rpName: "x", rpID: RP_ID, userName: "alice", attestationType: "none" });
    const stored = await registerWithBoth(await old.create(options, device), { challenge: options.challenge, origin: ORIGIN, rpId: RP_ID });
    expect(stored.aaguid).toBe("00000000-0000-0000-0000-000000000000");
  });

  it("maps a U2F key to fmt none too when the relying party asks for none", async () => {
    const token = await U2fToken.create({ ca });
    const options = await generateRegistrationOptions({ rpName: "x", rpID: RP_ID, userName: "alice", attestationType: "none", supportedAlgorithmIDs: [-7] });
    const stored = await registerWithBoth(await client.create(options, token), { challenge: options.challenge, origin: ORIGIN, rpId: RP_ID });
    expect(stored.fmt).toBe("none");
  });
});

describe("excludeList and allowList", () => {
  it("raises InvalidStateError when the authenticator holds an excluded credential", async () => {
    const device = await Fido2Authenticator.create({ ca });
    const first = await client.create(creation(), device);
    const err = await rejection(client.create(creation({ excludeCredentials: [{ type: "public-key", id: first.id }] }), device));
    expect(err.name).toBe("InvalidStateError");
    expect(ctapCause(err)).toBe(CtapStatus.CTAP2_ERR_CREDENTIAL_EXCLUDED);
  });

  it("registers when the excludeList holds only other authenticators' credentials", async () => {
    const device = await Fido2Authenticator.create({ ca });
    const other = await Fido2Authenticator.create({ ca });
    const foreign = await client.create(creation(), other);
    const made = await client.create(creation({ excludeCredentials: [{ type: "public-key", id: foreign.id }] }), device);
    expect(made.id).not.toBe(foreign.id);
  });

  it("raises InvalidStateError for a U2F key whose key handle is excluded", async () => {
    const token = await U2fToken.create({ ca });
    const first = await client.create(creation(), token);
    const err = await rejection(client.create(creation({ excludeCredentials: [{ type: "public-key", id: first.id }] }), token));
    expect(err.name).toBe("InvalidStateError");
  });

  it("raises NotAllowedError when no allowed credential is on the authenticator", async () => {
    const device = await Fido2Authenticator.create({ ca });
    const other = await Fido2Authenticator.create({ ca });
    const foreign = await client.create(creation(), other);
    const err = await rejection(client.get(request([foreign.id]), device));
    expect(err.name).toBe("NotAllowedError");
    expect(ctapCause(err)).toBe(CtapStatus.CTAP2_ERR_NO_CREDENTIALS);
    const token = await U2fToken.create({ ca });
    expect((await rejection(client.get(request([foreign.id]), token))).name).toBe("NotAllowedError");
  });

  it("signs with the one allowed credential the authenticator holds among several", async () => {
    const device = await Fido2Authenticator.create({ ca });
    const other = await Fido2Authenticator.create({ ca });
    const foreign = await client.create(creation(), other);
    const mine = await client.create(creation(), device);
    const got = await client.get(request([foreign.id, mine.id]), device);
    expect(got.id).toBe(mine.id);
  });

  it("refuses in the device a credential id presented under another rp id", async () => {
    const device = await Fido2Authenticator.create({ ca });
    const made = await client.create(creation(), device);
    const evil = new WebAuthnClient({ origin: "https://evil.example" });
    const err = await rejection(evil.get(request([made.id], { rpId: "evil.example" }), device));
    expect(err.name).toBe("NotAllowedError");
    expect(() =>
      device.getAssertion({ rpId: "evil.example", clientDataHash: new Uint8Array(32), allowList: [{ type: "public-key", id: fromBase64Url(made.id) }] }),
    ).toThrow(expect.objectContaining({ status: CtapStatus.CTAP2_ERR_NO_CREDENTIALS }));
    const token = await U2fToken.create({ ca });
    const handle = await client.create(creation(), token);
    expect((await rejection(evil.get(request([handle.id], { rpId: "evil.example" }), token))).name).toBe("NotAllowedError");
  });
});

describe("browser refusals", () => {
  it("raises SecurityError for an rp id that does not match the origin", async () => {
    const device = await Fido2Authenticator.create({ ca });
    expect((await rejection(client.create(creation({ rp: { id: "other.example", name: "x" } }), device))).name).toBe("SecurityError");
    expect((await rejection(client.get(request([], { rpId: "ample.com" }), device))).name).toBe("SecurityError");
    expect((await rejection(client.get(request([], { rpId: "com" }), device))).name).toBe("SecurityError");
    const insecure = new WebAuthnClient({ origin: "http://login.example.com" });
    expect((await rejection(insecure.create(creation(), device))).name).toBe("SecurityError");
    const local = new WebAuthnClient({ origin: "http://localhost:8080" });
    expect((await local.create(creation({ rp: { id: "localhost", name: "dev" } }), device)).type).toBe("public-key");
  });

  it("raises NotAllowedError when the user never touches the key", async () => {
    const device = await Fido2Authenticator.create({ ca });
    const made = await client.create(creation(), device);
    device.faults = { userPresenceTimeout: true };
    const err = await rejection(client.get(request([made.id]), device));
    expect(err.name).toBe("NotAllowedError");
    expect(ctapCause(err)).toBe(CtapStatus.CTAP2_ERR_USER_ACTION_TIMEOUT);
    expect((await rejection(client.create(creation(), device))).name).toBe("NotAllowedError");
    const token = await U2fToken.create({ ca, faults: { userPresenceTimeout: true } });
    expect((await rejection(client.create(creation(), token))).name).toBe("NotAllowedError");
  });

  it("raises NotSupportedError when Nitrokey FIDO2 is asked for EdDSA only", async () => {
    const device = await Fido2Authenticator.create({ profile: "nitrokey-fido2", ca });
    const err = await rejection(client.create(creation({ pubKeyCredParams: [{ type: "public-key", alg: -8 }] }), device));
    expect(err.name).toBe("NotSupportedError");
    expect(ctapCause(err)).toBe(CtapStatus.CTAP2_ERR_UNSUPPORTED_ALGORITHM);
  });
});

describe("discoverable credentials", () => {
  it("logs in without an allowList, returning the user handle, and lets the user pick an account", async () => {
    const device = await Fido2Authenticator.create({ profile: "nitrokey-3-am", ca, pin: "123456" });
    const options = (user: string) =>
      creation({
        user: { id: toBase64Url(Buffer.from(user)), name: user, displayName: user },
        authenticatorSelection: { residentKey: "required", userVerification: "required" },
      });
    const alice = await client.create(options("alice"), device, { pin: "123456" });
    const bob = await client.create(options("bob"), device, { pin: "123456" });
    expect(device.residentCredentialCount).toBe(2);
    const r = request([], { userVerification: "required" });
    const picked = await client.get(r, device, {
      pin: "123456",
      selectCredential: (candidates) => candidates.findIndex((c) => c.userHandle === toBase64Url(Buffer.from("alice"))),
    });
    expect(picked.id).toBe(alice.id);
    expect(picked.response.userHandle).toBe(toBase64Url(Buffer.from("alice")));
    const e: Expectation = { challenge: r.challenge, origin: ORIGIN, rpId: RP_ID, requireUserVerification: true };
    const reg = await registerWithBoth(bob, { ...e, challenge: options("bob").challenge });
    const first = await client.get(r, device, { pin: "123456" });
    expect(first.id).toBe(bob.id);
    await authenticateWithBoth(first, e, reg);
  });

  it("fills the resident key store at the profile's capacity and then refuses with KEY_STORE_FULL", async () => {
    const device = await Fido2Authenticator.create({ profile: "nitrokey-fido2", ca, pin: "123456" });
    const rk = (n: number) =>
      creation({ user: { id: toBase64Url(Buffer.from(`user-${n}`)), name: `u${n}`, displayName: `u${n}` }, authenticatorSelection: { residentKey: "required" } });
    for (let i = 0; i < 50; i++) await client.create(rk(i), device, { pin: "123456" });
    expect(device.getInfo().remainingDiscoverableCredentials).toBe(0);
    const err = await rejection(client.create(rk(50), device, { pin: "123456" }));
    expect(err.name).toBe("NotAllowedError");
    expect(ctapCause(err)).toBe(CtapStatus.CTAP2_ERR_KEY_STORE_FULL);
    // Re-registering an existing user overwrites in place, so it still fits.
    await client.create(rk(7), device, { pin: "123456" });
    const faulty = await Fido2Authenticator.create({ profile: "nitrokey-3-xn", ca, faults: { residentKeyStoreFull: true } });
    expect(ctapCause(await rejection(client.create(rk(0), faulty)))).toBe(CtapStatus.CTAP2_ERR_KEY_STORE_FULL);
  });
});

describe("PIN and user verification", () => {
  function uvFlag(authenticatorData: string): boolean {
    return (fromBase64Url(authenticatorData)[32]! & 0x04) !== 0;
  }

  it("sets UV on Nitrokey FIDO2 whenever a PIN is set, and needs the PIN to register", async () => {
    const device = await Fido2Authenticator.create({ profile: "nitrokey-fido2", ca, pin: "2468" });
    expect((await rejection(client.create(creation(), device))).name).toBe("NotAllowedError");
    const made = await client.create(creation(), device, { pin: "2468" });
    expect(uvFlag(made.response.authenticatorData)).toBe(true);
    const plain = await Fido2Authenticator.create({ profile: "nitrokey-fido2", ca });
    expect(uvFlag((await client.create(creation(), plain)).response.authenticatorData)).toBe(false);
  });

  it("lets Nitrokey 3 make a non-discoverable credential without the PIN (makeCredUvNotRqd)", async () => {
    const device = await Fido2Authenticator.create({ profile: "nitrokey-3-xn", ca, pin: "2468" });
    const made = await client.create(creation(), device);
    expect(uvFlag(made.response.authenticatorData)).toBe(false);
  });

  it("allows 3 wrong PINs per power cycle and 8 in all, then blocks", async () => {
    const device = await Fido2Authenticator.create({ profile: "nitrokey-fido2", ca, pin: "2468" });
    const attempt = async (pin: string) => ctapCause(await rejection(client.create(creation(), device, { pin })));
    expect(await attempt("0000")).toBe(CtapStatus.CTAP2_ERR_PIN_INVALID);
    expect(await attempt("0000")).toBe(CtapStatus.CTAP2_ERR_PIN_INVALID);
    expect(await attempt("0000")).toBe(CtapStatus.CTAP2_ERR_PIN_AUTH_BLOCKED);
    expect(await attempt("2468")).toBe(CtapStatus.CTAP2_ERR_PIN_AUTH_BLOCKED);
    expect(device.getPinRetries()).toBe(5);
    device.powerCycle();
    for (const expected of [CtapStatus.CTAP2_ERR_PIN_INVALID, CtapStatus.CTAP2_ERR_PIN_INVALID, CtapStatus.CTAP2_ERR_PIN_AUTH_BLOCKED]) {
      expect(await attempt("0000")).toBe(expected);
    }
    device.powerCycle();
    expect(await attempt("0000")).toBe(CtapStatus.CTAP2_ERR_PIN_INVALID);
    expect(await attempt("0000")).toBe(CtapStatus.CTAP2_ERR_PIN_BLOCKED);
    device.powerCycle();
    expect(await attempt("2468")).toBe(CtapStatus.CTAP2_ERR_PIN_BLOCKED);
  });

  it("resets the retry counter on a correct PIN and enforces the 4–64 character policy", async () => {
    const device = await Fido2Authenticator.create({ profile: "nitrokey-3-xn", ca });
    expect(() => device.setPin("123")).toThrow(expect.objectContaining({ status: CtapStatus.CTAP2_ERR_PIN_POLICY_VIOLATION }));
    expect(() => device.setPin("x".repeat(65))).toThrow(expect.objectContaining({ status: CtapStatus.CTAP2_ERR_PIN_POLICY_VIOLATION }));
    device.setPin("1234");
    await rejection(client.create(creation({ authenticatorSelection: { userVerification: "preferred" } }), device, { pin: "9999" }));
    expect(device.getPinRetries()).toBe(7);
    await client.create(creation({ authenticatorSelection: { userVerification: "required" } }), device, { pin: "1234" });
    expect(device.getPinRetries()).toBe(8);
  });

  it("raises NotAllowedError when user verification is required of a key without a PIN", async () => {
    const device = await Fido2Authenticator.create({ ca });
    const err = await rejection(client.create(creation({ authenticatorSelection: { userVerification: "required" } }), device));
    expect(err.name).toBe("NotAllowedError");
  });

  it("kills every credential with an authenticator reset", async () => {
    const device = await Fido2Authenticator.create({ ca });
    const made = await client.create(creation(), device);
    device.reset();
    expect((await rejection(client.get(request([made.id]), device))).name).toBe("NotAllowedError");
  });
});

describe("authenticator data", () => {
  it("binds the rp id hash and carries the credential id and AAGUID in the attested data", async () => {
    const device = await Fido2Authenticator.create({ profile: "nitrokey-3-xn", ca });
    const made = await client.create(creation(), device);
    const data = fromBase64Url(made.response.authenticatorData);
    expect(Buffer.from(data.subarray(0, 32))).toEqual(Buffer.from(rpIdHash(RP_ID)));
    expect(data[32]).toBe(0x41);
    expect(Buffer.from(data.subarray(37, 53)).toString("hex")).toBe("ec99db19cd1f4c06a2a9940f17a6a30b");
    const idLength = (data[53]! << 8) | data[54]!;
    expect(toBase64Url(data.subarray(55, 55 + idLength))).toBe(made.id);
    const cose = cborDecode(data.subarray(55 + idLength)) as Map<number, unknown>;
    expect([...cose.keys()]).toEqual([1, 3, -1, -2, -3]);
  });
});

describe("injected randomness", () => {
  it("makes the same credential ids from the same seed, and different ones from another", async () => {
    const make = async (seed: string) => {
      const device = await Fido2Authenticator.create({ ca, random: seededRandomBytes(seed) });
      return (await client.create(creation(), device)).id;
    };
    expect(await make("seed-a")).toBe(await make("seed-a"));
    expect(await make("seed-a")).not.toBe(await make("seed-b"));
  });
});
