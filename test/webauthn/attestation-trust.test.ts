import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fido2Authenticator, U2fToken, type AttestationCa, type EmulatedAuthenticator, type FidoProfileId } from "../../emulator/index.js";
import { importMdsBlob } from "../../src/domain/webauthn/metadata/index.js";
import { FailureReason } from "../../src/gen/twofold/v1/types_pb.js";
import { adminCaller, adminClient } from "../admin/admin-client.js";
import { createHarness, invalidFields, snapshot, type Harness } from "../rpc/harness.js";
import { browser, confirm, factorRow, ORIGIN, PIN, startEnrolment } from "./harness.js";
import {
  issue,
  mdsEntry,
  mdsPayload,
  mdsSigner,
  NITROKEY_3_AM,
  NITROKEY_3_XN,
  NITROKEY_FIDO2,
  pinnedCa,
  signMdsBlob,
  ZERO_AAGUID,
} from "./trust-fixtures.js";

/**
 * The AAGUID allow-list holds only with proof (docs/webauthn-trust.md): a
 * tenant that keeps one enrols an authenticator only when its attestation
 * chain ends at a trust anchor, the tenant's own roots or the imported FIDO
 * Metadata Service's, and the MDS does not report the model revoked or
 * compromised. Real handlers, real Postgres, the emulator's batch CA as the
 * vendor's root.
 */

let h: Harness;
/** Stands in for Nitrokey's attestation root. */
let vendorCa: AttestationCa;
/** A root nobody configured: a self-made "Nitrokey" chain. */
let strangerCa: AttestationCa;

beforeAll(async () => {
  h = await createHarness();
  vendorCa = await pinnedCa("Nitrokey emulated attestation root");
  strangerCa = await pinnedCa("Nitrokey emulated attestation root");
});
afterAll(async () => {
  await h.app.close();
});

function key(profile: FidoProfileId, ca: AttestationCa = vendorCa, faults: { selfAttestation?: boolean } = {}): Promise<Fido2Authenticator> {
  return Fido2Authenticator.create({ profile, ca, pin: PIN, faults });
}

/** Sets `tenant`'s relying party through AdminService, as an administrator would. */
async function setRelyingParty(tenant: string, allowedAaguids: string[], attestationRootCertificates: Uint8Array[] = []) {
  return adminClient(h.app.deps, adminCaller(tenant)).setRelyingParty({
    rpId: "localhost",
    rpName: tenant,
    allowedOrigins: [ORIGIN],
    allowedAaguids,
    attestationRootCertificates,
  });
}

/** One enrolment of `authenticator` for a fresh user of `tenant`; returns the answer and whether the factor row stayed as it was. */
async function enrol(tenant: string, authenticator: EmulatedAuthenticator, opts: { attestation?: "none" | "direct" } = {}) {
  const user = `user-${Math.random().toString(36).slice(2)}@example.com`;
  const { factorId, options } = await startEnrolment(h, user, { tenant });
  const before = await factorRow(h.app.db, factorId);
  const registration = await browser().create({ ...options, attestation: opts.attestation ?? options.attestation }, authenticator, { pin: PIN });
  const res = await confirm(h, user, factorId, registration, tenant);
  return { res, user, factorId, unchanged: (await factorRow(h.app.db, factorId)) === before };
}

/** The details of the last WebAuthn confirmation audit event of `factorId`. */
async function auditOf(factorId: string): Promise<Record<string, string>> {
  const r = await h.app.db.query<{ details: Record<string, string> }>(
    `SELECT details FROM audit_events WHERE factor_id = $1 AND kind IN ('factor.confirmed', 'factor.confirm_failed') ORDER BY id DESC LIMIT 1`,
    [factorId],
  );
  return r.rows[0]?.details ?? {};
}

describe("a tenant with an allow-list and its own root", () => {
  const tenant = "strict";
  beforeAll(async () => {
    await setRelyingParty(tenant, [NITROKEY_3_XN, ZERO_AAGUID], [vendorCa.rootCertificateDer]);
  });

  it("accepts a packed chain to the configured root and shows the model's name", async () => {
    const { res, user, factorId } = await enrol(tenant, await key("nitrokey-3-xn"));
    expect(res.confirmed, `reason ${FailureReason[res.reason]}`).toBe(true);
    const listed = await h.enrolment(tenant).listFactors({ userId: user });
    expect(listed.factors.find((f) => f.id === factorId)?.authenticatorName).toBe("Nitrokey 3 xN");
    expect(await auditOf(factorId)).toMatchObject({ attestation_format: "packed", attestation_trust: "tenant_root", aaguid: NITROKEY_3_XN });
  });

  it("accepts a FIDO U2F key whose certificate chains to the root when the zero AAGUID is allowed", async () => {
    const { res, factorId } = await enrol(tenant, await U2fToken.create({ ca: vendorCa }));
    expect(res.confirmed, `reason ${FailureReason[res.reason]}`).toBe(true);
    expect(await auditOf(factorId)).toMatchObject({ attestation_format: "fido-u2f", attestation_trust: "tenant_root" });
  });

  it("refuses `none` attestation claiming the allowed AAGUID (the forged Nitrokey 3 xN), changing nothing", async () => {
    const { res, factorId, unchanged } = await enrol(tenant, await key("nitrokey-3-xn"), { attestation: "none" });
    expect(res.confirmed).toBe(false);
    expect(res.reason).toBe(FailureReason.ATTESTATION_NOT_TRUSTED);
    expect(unchanged).toBe(true);
    expect(await auditOf(factorId)).toMatchObject({ reason: "attestation_not_trusted", cause: "none_attestation" });
  });

  it("refuses self attestation", async () => {
    const { res, factorId, unchanged } = await enrol(tenant, await key("nitrokey-3-xn", vendorCa, { selfAttestation: true }));
    expect(res.reason).toBe(FailureReason.ATTESTATION_NOT_TRUSTED);
    expect(unchanged).toBe(true);
    expect(await auditOf(factorId)).toMatchObject({ cause: "self_attestation" });
  });

  it("refuses a packed chain to an unknown root, even one named like the vendor's", async () => {
    const { res, factorId, unchanged } = await enrol(tenant, await key("nitrokey-3-xn", strangerCa));
    expect(res.reason).toBe(FailureReason.ATTESTATION_NOT_TRUSTED);
    expect(unchanged).toBe(true);
    expect(await auditOf(factorId)).toMatchObject({ cause: "untrusted_chain" });
    const u2f = await enrol(tenant, await U2fToken.create({ ca: strangerCa }));
    expect(u2f.res.reason).toBe(FailureReason.ATTESTATION_NOT_TRUSTED);
  });

  it("still refuses models off the list as not allowed, whatever their chain", async () => {
    for (const profile of ["nitrokey-fido2", "nitrokey-3-am"] as const) {
      const { res, unchanged } = await enrol(tenant, await key(profile));
      expect(res.reason).toBe(FailureReason.AUTHENTICATOR_NOT_ALLOWED);
      expect(unchanged).toBe(true);
    }
  });
});

describe("the imported FIDO Metadata Service", () => {
  const tenant = "mds-only";
  beforeAll(async () => {
    const signer = await mdsSigner();
    const root = vendorCa.rootCertificateDer;
    const blob = await signMdsBlob(
      signer,
      mdsPayload(7, [mdsEntry(NITROKEY_3_XN, [root]), mdsEntry(NITROKEY_3_AM, [root], ["FIDO_CERTIFIED_L1", "REVOKED"])]),
    );
    await importMdsBlob(h.app.deps, { source: blob, roots: [signer.root.der] });
    // No roots of its own: only the MDS vouches for its models.
    await setRelyingParty(tenant, [NITROKEY_3_XN, NITROKEY_3_AM, NITROKEY_FIDO2]);
  });

  it("accepts a chain to the root the MDS lists for the model's AAGUID", async () => {
    const { res, factorId } = await enrol(tenant, await key("nitrokey-3-xn"));
    expect(res.confirmed, `reason ${FailureReason[res.reason]}`).toBe(true);
    expect(await auditOf(factorId)).toMatchObject({ attestation_trust: "mds_root" });
  });

  it("refuses a model the MDS reports REVOKED, though its chain verifies", async () => {
    const { res, factorId, unchanged } = await enrol(tenant, await key("nitrokey-3-am"));
    expect(res.reason).toBe(FailureReason.ATTESTATION_NOT_TRUSTED);
    expect(unchanged).toBe(true);
    expect(await auditOf(factorId)).toMatchObject({ cause: "authenticator_status" });
  });

  it("refuses the revoked model even where the tenant's own root would vouch for it", async () => {
    await setRelyingParty("mds-and-root", [NITROKEY_3_AM], [vendorCa.rootCertificateDer]);
    const { res } = await enrol("mds-and-root", await key("nitrokey-3-am"));
    expect(res.reason).toBe(FailureReason.ATTESTATION_NOT_TRUSTED);
  });

  it("does not let one model's MDS roots vouch for another AAGUID", async () => {
    // Nitrokey FIDO2 is allowed and chains to the same root, but the MDS has no entry for it.
    const { res, factorId } = await enrol(tenant, await key("nitrokey-fido2"));
    expect(res.reason).toBe(FailureReason.ATTESTATION_NOT_TRUSTED);
    expect(await auditOf(factorId)).toMatchObject({ cause: "no_trust_anchor" });
  });
});

describe("a tenant without an allow-list", () => {
  it("keeps today's rule: none, self, packed and fido-u2f enrol, whatever the MDS says", async () => {
    const tenant = "open";
    await setRelyingParty(tenant, [], [vendorCa.rootCertificateDer]);
    const cases: [EmulatedAuthenticator, "none" | "direct"][] = [
      [await key("nitrokey-3-xn", strangerCa), "none"],
      [await key("nitrokey-3-xn", strangerCa, { selfAttestation: true }), "direct"],
      [await key("nitrokey-3-am", strangerCa), "direct"], // revoked in the imported MDS, unknown root
      [await U2fToken.create({ ca: strangerCa }), "direct"],
    ];
    for (const [authenticator, attestation] of cases) {
      const { res, factorId } = await enrol(tenant, authenticator, { attestation });
      expect(res.confirmed, `reason ${FailureReason[res.reason]}`).toBe(true);
      expect(await auditOf(factorId)).toMatchObject({ attestation_trust: "unchecked" });
    }
  });
});

describe("attestation roots in SetRelyingParty", () => {
  it("stores DER roots, deduplicated, and GetRelyingParty returns them", async () => {
    const client = adminClient(h.app.deps, adminCaller("roots"));
    const other = await issue({ subject: "CN=Other Root", ca: true });
    const set = await client.setRelyingParty({
      rpId: "localhost",
      rpName: "Roots",
      allowedOrigins: [ORIGIN],
      allowedAaguids: [NITROKEY_3_XN],
      attestationRootCertificates: [vendorCa.rootCertificateDer, other.der, vendorCa.rootCertificateDer],
    });
    const want = [Buffer.from(vendorCa.rootCertificateDer), Buffer.from(other.der)];
    expect(set.relyingParty?.attestationRootCertificates.map((d) => Buffer.from(d))).toEqual(want);
    const got = await client.getRelyingParty({});
    expect(got.relyingParty?.attestationRootCertificates.map((d) => Buffer.from(d))).toEqual(want);
  });

  it("refuses what is not a CA certificate, naming each entry, and changes nothing", async () => {
    const client = adminClient(h.app.deps, adminCaller("roots"));
    const leaf = await issue({ subject: "CN=Leaf", ca: false });
    const before = await snapshot(h.app.db);
    const rpBefore = await client.getRelyingParty({});
    const fields = await invalidFields(
      client.setRelyingParty({
        rpId: "localhost",
        rpName: "Roots",
        allowedOrigins: [ORIGIN],
        allowedAaguids: [],
        attestationRootCertificates: [vendorCa.rootCertificateDer, Buffer.from("not a certificate"), leaf.der, new Uint8Array(0), new Uint8Array(9000)],
      }),
    );
    expect(fields).toEqual([
      "attestation_root_certificates[1]",
      "attestation_root_certificates[2]",
      "attestation_root_certificates[3]",
      "attestation_root_certificates[4]",
    ]);
    const tooMany = await invalidFields(
      client.setRelyingParty({
        rpId: "localhost",
        rpName: "Roots",
        allowedOrigins: [ORIGIN],
        attestationRootCertificates: Array.from({ length: 21 }, () => vendorCa.rootCertificateDer),
      }),
    );
    expect(tooMany).toEqual(["attestation_root_certificates"]);
    expect(await snapshot(h.app.db)).toEqual(before);
    expect(await client.getRelyingParty({})).toEqual(rpBefore);
  });
});
