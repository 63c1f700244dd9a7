import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AttestationCa,
  Fido2Authenticator,
  U2fToken,
  WebAuthnClient,
  cborDecode,
  cborEncode,
  fromBase64Url,
  sha256,
  toBase64Url,
  type FidoProfileId,
} from "../../emulator/index.js";

// Debian's fido2-tools (libfido2): an independent verifier of CTAP2 credentials and assertions.
const ORIGIN = "https://example.com";
const RP_ID = "example.com";
const PIN = "13579";
let ca: AttestationCa;
let dir: string;

beforeAll(async () => {
  ca = await AttestationCa.create();
  dir = await mkdtemp(join(tmpdir(), "twofold-fido2-tools-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

function run(tool: string, args: string[], input: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(tool, args, { input, encoding: "utf8" });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Registers and asserts through the browser, then hands both to fido2-cred -V and fido2-assert -V. */
async function verifyWithFido2Tools(profile: FidoProfileId | "u2f", alg: -7 | -8, options: { pin?: string; bogusAssertion?: boolean } = {}) {
  const device =
    profile === "u2f" ? await U2fToken.create({ ca }) : await Fido2Authenticator.create({ profile, ca, ...(options.pin ? { pin: options.pin } : {}) });
  const client = new WebAuthnClient({ origin: ORIGIN });
  const uv = options.pin ? "required" : "discouraged";
  const created = await client.create(
    {
      rp: { id: RP_ID, name: "Example" },
      user: { id: toBase64Url(Buffer.from("user")), name: "user", displayName: "User" },
      challenge: toBase64Url(Buffer.from("registration challenge 32 bytes!")),
      pubKeyCredParams: [{ type: "public-key", alg }],
      attestation: "direct",
      authenticatorSelection: { userVerification: uv },
    },
    device,
    options.pin ? { pin: options.pin } : {},
  );
  const attestation = cborDecode(fromBase64Url(created.response.attestationObject)) as Map<string, unknown>;
  const attStmt = attestation.get("attStmt") as Map<string, unknown>;
  const type = alg === -8 ? "eddsa" : "es256";
  // fido2-cred wants authenticator data as a CBOR byte string (what fido2-cred -M prints).
  const credInput = [
    b64(sha256(fromBase64Url(created.response.clientDataJSON))),
    RP_ID,
    attestation.get("fmt") as string,
    b64(cborEncode(attestation.get("authData") as Uint8Array)),
    b64(fromBase64Url(created.rawId)),
    b64(attStmt.get("sig") as Uint8Array),
    b64((attStmt.get("x5c") as Uint8Array[])[0]!),
  ].join("\n");
  const cred = run("fido2-cred", ["-V", ...(options.pin ? ["-v"] : []), type], `${credInput}\n`);

  if (options.bogusAssertion) device.faults = { bogusSignature: true };
  const got = await client.get(
    { rpId: RP_ID, challenge: toBase64Url(Buffer.from("assertion challenge of 32 bytes!")), allowCredentials: [{ type: "public-key", id: created.id }], userVerification: uv },
    device,
    options.pin ? { pin: options.pin } : {},
  );
  const keyFile = join(dir, `${profile}-${type}-${Date.now()}.pem`);
  await writeFile(keyFile, cred.stdout.split("\n").slice(1).join("\n"));
  const assertInput = [
    b64(sha256(fromBase64Url(got.response.clientDataJSON))),
    RP_ID,
    b64(cborEncode(fromBase64Url(got.response.authenticatorData))),
    b64(fromBase64Url(got.response.signature)),
  ].join("\n");
  const assertion = run("fido2-assert", ["-V", "-p", ...(options.pin ? ["-v"] : []), keyFile, type], `${assertInput}\n`);
  return { cred, assertion, credentialId: created.rawId };
}

describe("Debian fido2-tools", () => {
  it("fido2-cred -V verifies a Nitrokey FIDO2 packed registration and fido2-assert -V its assertion", async () => {
    const { cred, assertion, credentialId } = await verifyWithFido2Tools("nitrokey-fido2", -7);
    expect(cred.status).toBe(0);
    expect(cred.stdout.split("\n")[0]).toBe(b64(fromBase64Url(credentialId)));
    expect(cred.stdout).toContain("BEGIN PUBLIC KEY");
    expect(assertion.status).toBe(0);
  });

  it("verifies a Nitrokey 3 EdDSA credential and assertion", async () => {
    const { cred, assertion } = await verifyWithFido2Tools("nitrokey-3-xn", -8);
    expect(cred.status).toBe(0);
    expect(assertion.status).toBe(0);
  });

  it("checks the UV bit when the PIN was given (-v)", async () => {
    const { cred, assertion } = await verifyWithFido2Tools("nitrokey-3-am", -7, { pin: PIN });
    expect(cred.status).toBe(0);
    expect(assertion.status).toBe(0);
  });

  it("verifies a Nitrokey FIDO U2F registration as fido-u2f and its assertion", async () => {
    const { cred, assertion } = await verifyWithFido2Tools("u2f", -7);
    expect(cred.status).toBe(0);
    expect(assertion.status).toBe(0);
  });

  it("rejects a registration whose UV bit it was told to check but the key did not set", async () => {
    const device = await Fido2Authenticator.create({ profile: "nitrokey-3-xn", ca });
    const created = await new WebAuthnClient({ origin: ORIGIN }).create(
      {
        rp: { id: RP_ID, name: "Example" },
        user: { id: toBase64Url(Buffer.from("user")), name: "user", displayName: "User" },
        challenge: toBase64Url(Buffer.from("registration challenge 32 bytes!")),
        pubKeyCredParams: [{ type: "public-key", alg: -7 }],
        attestation: "direct",
      },
      device,
    );
    const attestation = cborDecode(fromBase64Url(created.response.attestationObject)) as Map<string, unknown>;
    const attStmt = attestation.get("attStmt") as Map<string, unknown>;
    const input = [
      b64(sha256(fromBase64Url(created.response.clientDataJSON))),
      RP_ID,
      "packed",
      b64(cborEncode(attestation.get("authData") as Uint8Array)),
      b64(fromBase64Url(created.rawId)),
      b64(attStmt.get("sig") as Uint8Array),
      b64((attStmt.get("x5c") as Uint8Array[])[0]!),
    ].join("\n");
    expect(run("fido2-cred", ["-V", "es256"], `${input}\n`).status).toBe(0);
    expect(run("fido2-cred", ["-V", "-v", "es256"], `${input}\n`).status).toBe(1);
  });

  it("rejects an assertion with a bogus signature", async () => {
    const { cred, assertion } = await verifyWithFido2Tools("nitrokey-fido2", -7, { bogusAssertion: true });
    expect(cred.status).toBe(0);
    expect(assertion.status).toBe(1);
    expect(assertion.stderr).toMatch(/verify|FIDO_ERR_INVALID_SIG/i);
  });
});
