import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateAuthenticationOptions, generateRegistrationOptions } from "@simplewebauthn/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AttestationCa, Fido2Authenticator, U2fToken, WebAuthnClient, loadFidoDevice, saveFidoDevice } from "../../emulator/index.js";
import { authenticateWithBoth, registerWithBoth } from "./support/relying-parties.js";

const ORIGIN = "https://example.com";
const RP_ID = "example.com";
let ca: AttestationCa;
let dir: string;
const client = new WebAuthnClient({ origin: ORIGIN });

beforeAll(async () => {
  // The CA itself round-trips too, so a scenario keeps one trust anchor across runs.
  ca = await AttestationCa.import(await (await AttestationCa.create()).export());
  dir = await mkdtemp(join(tmpdir(), "twofold-fido-state-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function registerThenLoginAfterReload(device: Fido2Authenticator | U2fToken, file: string) {
  const options = await generateRegistrationOptions({ rpName: "x", rpID: RP_ID, userName: "carol", attestationType: "direct", supportedAlgorithmIDs: [-7], authenticatorSelection: { residentKey: "discouraged", userVerification: "discouraged" } });
  const stored = await registerWithBoth(await client.create(options, device), { challenge: options.challenge, origin: ORIGIN, rpId: RP_ID });
  const path = join(dir, file);
  await saveFidoDevice(device, path);
  expect((await stat(path)).mode & 0o777).toBe(0o600);
  const loaded = await loadFidoDevice(path, { ca });
  expect(loaded.kind).toBe(device.kind);
  const before = stored.counter;
  const request = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: stored.simple.id }], userVerification: "discouraged" });
  const counter = await authenticateWithBoth(await client.get(request, loaded), { challenge: request.challenge, origin: ORIGIN, rpId: RP_ID }, stored);
  return { before, counter, loaded };
}

describe("FIDO device state files", () => {
  it("saves a FIDO2 key and loads it with its credentials, counter, PIN and resident keys", async () => {
    const device = await Fido2Authenticator.create({ profile: "nitrokey-3-xn", ca, pin: "8642" });
    await client.create(
      {
        rp: { id: RP_ID, name: "x" },
        user: { id: "dXNlcg", name: "u", displayName: "U" },
        challenge: "Y2hhbGxlbmdl",
        pubKeyCredParams: [{ type: "public-key", alg: -7 }],
        authenticatorSelection: { residentKey: "required", userVerification: "required" },
      },
      device,
      { pin: "8642" },
    );
    const { before, counter, loaded } = await registerThenLoginAfterReload(device, "fido2.json");
    expect(counter).toBeGreaterThan(before);
    if (loaded.kind !== "fido2") throw new Error("loaded the wrong kind");
    expect(loaded.hasPin).toBe(true);
    expect(loaded.residentCredentialCount).toBe(1);
    expect(loaded.profile.id).toBe("nitrokey-3-xn");
  });

  it("saves a U2F token and loads it with its key handles and counter", async () => {
    const token = await U2fToken.create({ ca });
    const { before, counter } = await registerThenLoginAfterReload(token, "u2f.json");
    expect(before).toBe(0);
    expect(counter).toBe(1);
  });
});
