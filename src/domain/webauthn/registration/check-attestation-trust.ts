import type { X509Certificate } from "@peculiar/x509";
import { certificatePathProblem, MAX_CHAIN_CERTIFICATES, parseCertificate } from "../../../crypto/x509.js";
import { refusedStatus, type MdsEntry } from "../metadata/index.js";

/** id-fido-gen-ce-aaguid: the AAGUID a batch certificate vouches for (WebAuthn §8.2.1). */
export const FIDO_AAGUID_OID = "1.3.6.1.4.1.45724.1.1.4";

/** Where an attestation chain may end: the tenant's roots, and the MDS entry for the AAGUID. */
export interface TrustAnchors {
  tenantRoots: readonly Uint8Array[];
  mds: MdsEntry | undefined;
}

/** Why an attestation does not prove the authenticator model, for logs and audit (never sent to callers). */
export type TrustRefusal =
  | "none_attestation"
  | "self_attestation"
  | "authenticator_status"
  | "malformed_certificate"
  | "aaguid_mismatch"
  | "no_trust_anchor"
  | "untrusted_chain";

/** Which anchor the chain ended at, or why it is refused (with a detail for the log). */
export type TrustVerdict =
  | { trusted: true; anchor: "tenant_root" | "mds_root" }
  | { trusted: false; cause: TrustRefusal; detail: string };

/** What the check reads from a registration that @simplewebauthn/server has verified. */
export interface AttestationEvidence {
  fmt: string;
  /** attStmt.x5c, DER, the attestation certificate first; undefined for none and self attestation. */
  x5c: readonly Uint8Array[] | undefined;
  /** Lower-case AAGUID from authenticatorData. */
  aaguid: string;
}

function refuse(cause: TrustRefusal, detail: string): TrustVerdict {
  return { trusted: false, cause, detail };
}

/** Why the certificate's AAGUID extension contradicts `aaguid`, or undefined when it agrees or is absent. */
function aaguidExtensionProblem(cert: X509Certificate, aaguid: string): string | undefined {
  const ext = cert.extensions.find((e) => e.type === FIDO_AAGUID_OID);
  if (ext === undefined) return undefined;
  if (ext.critical) return "the AAGUID extension is marked critical";
  // extnValue is a DER OCTET STRING of the 16 AAGUID bytes.
  const value = Buffer.from(ext.value);
  if (value.length !== 18 || value[0] !== 0x04 || value[1] !== 0x10) return "the AAGUID extension is not a 16-byte OCTET STRING";
  if (value.subarray(2).toString("hex") !== aaguid.replaceAll("-", "")) return "the certificate's AAGUID differs from the authenticator data's";
  return undefined;
}

function parsedAll(ders: readonly Uint8Array[]): X509Certificate[] {
  return ders.flatMap((d) => {
    const c = parseCertificate(d);
    return c === undefined ? [] : [c];
  });
}

/**
 * Decides whether an attestation proves the authenticator model, the rule a
 * tenant's AAGUID allow-list relies on (docs/webauthn-trust.md). The
 * signature over authenticatorData is @simplewebauthn/server's check, done
 * before; this adds what it leaves to the relying party (WebAuthn §7.1:
 * "obtain a list of acceptable trust anchors", then "assess the attestation
 * trustworthiness"), per tenant, at `at`.
 */
export async function checkAttestationTrust(evidence: AttestationEvidence, anchors: TrustAnchors, at: Date): Promise<TrustVerdict> {
  // Ensure the authenticator attested at all: `none` proves nothing about the model.
  if (evidence.fmt === "none") return refuse("none_attestation", "attestation format none");

  // Ensure a certificate signed it: self attestation is signed by the credential key itself.
  if (evidence.x5c === undefined || evidence.x5c.length === 0) return refuse("self_attestation", "no x5c certificate");

  // Ensure the FIDO Metadata Service does not report the model revoked or compromised.
  const status = anchors.mds === undefined ? undefined : refusedStatus(anchors.mds);
  if (status !== undefined) return refuse("authenticator_status", `MDS status ${status}`);

  // Ensure every certificate of the chain parses (and that there are few enough to parse).
  if (evidence.x5c.length > MAX_CHAIN_CERTIFICATES) return refuse("malformed_certificate", `x5c holds more than ${MAX_CHAIN_CERTIFICATES} certificates`);
  const chain = parsedAll(evidence.x5c);
  if (chain.length !== evidence.x5c.length) return refuse("malformed_certificate", "x5c holds something that is not a certificate");
  const leaf = chain[0] as X509Certificate;

  // Ensure the attestation certificate vouches for the AAGUID the authenticator data claims (WebAuthn §8.2.1).
  const aaguidProblem = aaguidExtensionProblem(leaf, evidence.aaguid);
  if (aaguidProblem !== undefined) return refuse("aaguid_mismatch", aaguidProblem);

  // Ensure there is a trust anchor to verify against.
  const tenantRoots = parsedAll(anchors.tenantRoots);
  const mdsRoots = parsedAll(anchors.mds?.attestationRoots ?? []);
  if (tenantRoots.length === 0 && mdsRoots.length === 0) return refuse("no_trust_anchor", "no tenant root and no MDS entry for the AAGUID");

  // Ensure the chain ends at one of the tenant's roots, or at a root the MDS lists for this AAGUID.
  const tenantProblem = tenantRoots.length === 0 ? "no tenant root" : await certificatePathProblem(chain, tenantRoots, at);
  if (tenantProblem === undefined) return { trusted: true, anchor: "tenant_root" };
  const mdsProblem = mdsRoots.length === 0 ? "no MDS root" : await certificatePathProblem(chain, mdsRoots, at);
  if (mdsProblem === undefined) return { trusted: true, anchor: "mds_root" };
  return refuse("untrusted_chain", `tenant roots: ${tenantProblem}; MDS roots: ${mdsProblem}`);
}
