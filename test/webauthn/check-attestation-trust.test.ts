import { beforeAll, describe, expect, it } from "vitest";
import { REFUSED_STATUSES, type MdsEntry } from "../../src/domain/webauthn/metadata/index.js";
import { checkAttestationTrust, type TrustAnchors } from "../../src/domain/webauthn/registration/check-attestation-trust.js";
import { T0 } from "../rpc/harness.js";
import { aaguidExtension, issue, NITROKEY_3_XN, NITROKEY_FIDO2, type Issued } from "./trust-fixtures.js";

const YEAR = 365 * 86_400_000;

let root: Issued;
let intermediate: Issued;
let leaf: Issued;
let strangerRoot: Issued;

beforeAll(async () => {
  root = await issue({ subject: "C=DE, O=Test Vendor, CN=Test Root", ca: true });
  intermediate = await issue({ subject: "C=DE, O=Test Vendor, CN=Test Batch CA", issuer: root, ca: true });
  leaf = await issue({
    subject: "C=DE, O=Test Vendor, OU=Authenticator Attestation, CN=Test batch",
    issuer: intermediate,
    ca: false,
    extensions: [aaguidExtension(NITROKEY_3_XN)],
  });
  strangerRoot = await issue({ subject: "C=DE, O=Test Vendor, CN=Test Root", ca: true });
});

const packed = (x5c: Uint8Array[], aaguid = NITROKEY_3_XN) => ({ fmt: "packed", x5c, aaguid });
const tenant = (...roots: Issued[]): TrustAnchors => ({ tenantRoots: roots.map((r) => r.der), mds: undefined });
function mds(roots: Issued[], statuses: string[] = ["FIDO_CERTIFIED_L1"]): MdsEntry {
  return {
    aaguid: NITROKEY_3_XN,
    description: "test",
    attestationRoots: roots.map((r) => r.der),
    statusReports: statuses.map((status) => ({ status, effectiveDate: "2025-01-01" })),
  };
}

describe("checkAttestationTrust", () => {
  it("refuses none and self attestation before looking at anchors", async () => {
    expect(await checkAttestationTrust({ fmt: "none", x5c: undefined, aaguid: NITROKEY_3_XN }, tenant(root), T0)).toMatchObject({
      trusted: false,
      cause: "none_attestation",
    });
    expect(await checkAttestationTrust({ fmt: "packed", x5c: undefined, aaguid: NITROKEY_3_XN }, tenant(root), T0)).toMatchObject({
      trusted: false,
      cause: "self_attestation",
    });
    expect(await checkAttestationTrust(packed([]), tenant(root), T0)).toMatchObject({ trusted: false, cause: "self_attestation" });
  });

  it("follows leaf → intermediate → tenant root", async () => {
    expect(await checkAttestationTrust(packed([leaf.der, intermediate.der]), tenant(root), T0)).toEqual({ trusted: true, anchor: "tenant_root" });
    // The anchor need not be self-signed: trusting the batch CA is enough.
    expect(await checkAttestationTrust(packed([leaf.der]), tenant(intermediate), T0)).toEqual({ trusted: true, anchor: "tenant_root" });
    // A chain that carries its root too still ends at the anchor.
    expect(await checkAttestationTrust(packed([leaf.der, intermediate.der, root.der]), tenant(root), T0)).toEqual({ trusted: true, anchor: "tenant_root" });
  });

  it("refuses a chain with a missing link, a stranger root of the same name, or no anchor at all", async () => {
    expect(await checkAttestationTrust(packed([leaf.der]), tenant(root), T0)).toMatchObject({ trusted: false, cause: "untrusted_chain" });
    expect(await checkAttestationTrust(packed([leaf.der, intermediate.der]), tenant(strangerRoot), T0)).toMatchObject({
      trusted: false,
      cause: "untrusted_chain",
    });
    expect(await checkAttestationTrust(packed([leaf.der, intermediate.der]), { tenantRoots: [], mds: undefined }, T0)).toMatchObject({
      trusted: false,
      cause: "no_trust_anchor",
    });
  });

  it("refuses an issuer that is not a CA, however it signed", async () => {
    const notCa = await issue({ subject: "C=DE, O=Test Vendor, CN=Not a CA", issuer: root, ca: false });
    const below = await issue({ subject: "C=DE, O=Test Vendor, OU=Authenticator Attestation, CN=Below", issuer: notCa, ca: false });
    expect(await checkAttestationTrust(packed([below.der, notCa.der], NITROKEY_FIDO2), tenant(root), T0)).toMatchObject({
      trusted: false,
      cause: "untrusted_chain",
    });
  });

  it("judges validity at the given time", async () => {
    expect((await checkAttestationTrust(packed([leaf.der, intermediate.der]), tenant(root), new Date(T0.getTime() + 6 * YEAR))).trusted).toBe(false);
    expect((await checkAttestationTrust(packed([leaf.der, intermediate.der]), tenant(root), new Date(T0.getTime() - 2 * 86_400_000))).trusted).toBe(false);
  });

  it("refuses a certificate whose AAGUID extension contradicts the authenticator data, or is critical", async () => {
    expect(await checkAttestationTrust(packed([leaf.der, intermediate.der], NITROKEY_FIDO2), tenant(root), T0)).toMatchObject({
      trusted: false,
      cause: "aaguid_mismatch",
    });
    const critical = await issue({
      subject: "C=DE, O=Test Vendor, OU=Authenticator Attestation, CN=Critical",
      issuer: intermediate,
      ca: false,
      extensions: [aaguidExtension(NITROKEY_3_XN, true)],
    });
    expect(await checkAttestationTrust(packed([critical.der, intermediate.der]), tenant(root), T0)).toMatchObject({
      trusted: false,
      cause: "aaguid_mismatch",
    });
  });

  it("refuses bytes that are not a certificate, and an overlong x5c", async () => {
    expect(await checkAttestationTrust(packed([Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)]), tenant(root), T0)).toMatchObject({
      trusted: false,
      cause: "malformed_certificate",
    });
    const long = [leaf.der, ...Array.from({ length: 8 }, () => intermediate.der)];
    expect(await checkAttestationTrust(packed(long), tenant(root), T0)).toMatchObject({ trusted: false, cause: "malformed_certificate" });
  });

  it("trusts a listed certificate that is the attestation certificate itself, but nothing a non-CA anchor signed", async () => {
    expect(await checkAttestationTrust(packed([leaf.der]), { tenantRoots: [], mds: mds([leaf]) }, T0)).toEqual({ trusted: true, anchor: "mds_root" });
    const below = await issue({ subject: "C=DE, O=Test Vendor, OU=Authenticator Attestation, CN=Below leaf", issuer: leaf, ca: false });
    expect(await checkAttestationTrust(packed([below.der], NITROKEY_FIDO2), { tenantRoots: [], mds: mds([leaf]) }, T0)).toMatchObject({
      trusted: false,
      cause: "untrusted_chain",
    });
  });

  it("uses the MDS entry's roots for its AAGUID when the tenant's do not fit", async () => {
    expect(await checkAttestationTrust(packed([leaf.der, intermediate.der]), { tenantRoots: [strangerRoot.der], mds: mds([root]) }, T0)).toEqual({
      trusted: true,
      anchor: "mds_root",
    });
  });

  for (const status of [...REFUSED_STATUSES]) {
    it(`refuses a model the MDS reports ${status}, even under a later FIDO_CERTIFIED, and even with a tenant root`, async () => {
      const verdict = await checkAttestationTrust(packed([leaf.der, intermediate.der]), { tenantRoots: [root.der], mds: mds([root], [status, "FIDO_CERTIFIED_L2"]) }, T0);
      expect(verdict).toEqual({ trusted: false, cause: "authenticator_status", detail: `MDS status ${status}` });
    });
  }

  it("accepts the statuses that say nothing against the model", async () => {
    const statuses = ["NOT_FIDO_CERTIFIED", "FIDO_CERTIFIED", "UPDATE_AVAILABLE", "SELF_ASSERTION_SUBMITTED", "FIDO_CERTIFIED_L1", "FIDO_CERTIFIED_L3plus"];
    expect(await checkAttestationTrust(packed([leaf.der, intermediate.der]), { tenantRoots: [], mds: mds([root], statuses) }, T0)).toEqual({
      trusted: true,
      anchor: "mds_root",
    });
  });
});
