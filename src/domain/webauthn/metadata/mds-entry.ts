/**
 * One FIDO2 authenticator model from an imported FIDO Metadata Service blob
 * (FIDO MDS3, "Metadata BLOB Payload Entry"), reduced to what attestation
 * checks need.
 */
export interface MdsEntry {
  /** Lower-case AAGUID. */
  aaguid: string;
  /** metadataStatement.description, for logs and the CLI. */
  description: string;
  /** metadataStatement.attestationRootCertificates, DER. */
  attestationRoots: Uint8Array[];
  /** statusReports, oldest to newest as the blob lists them. */
  statusReports: MdsStatusReport[];
}

/** A statusReports item (FIDO MDS3, "StatusReport"), without the certification details. */
export interface MdsStatusReport {
  /** An AuthenticatorStatus (FIDO MDS3, "AuthenticatorStatus"), e.g. FIDO_CERTIFIED_L1 or REVOKED. */
  status: string;
  /** ISO date, or "" when the report has none. */
  effectiveDate: string;
}

/**
 * AuthenticatorStatus values (FIDO MDS3, "AuthenticatorStatus") after which a model must not
 * enrol: revoked, or a compromise of user verification, of the attestation
 * key or of user keys. Any report with one refuses the model, even when a
 * later report says FIDO_CERTIFIED or UPDATE_AVAILABLE: twofold cannot tell
 * the fixed devices from the others.
 */
export const REFUSED_STATUSES: ReadonlySet<string> = new Set([
  "REVOKED",
  "USER_VERIFICATION_BYPASS",
  "ATTESTATION_KEY_COMPROMISE",
  "USER_KEY_REMOTE_COMPROMISE",
  "USER_KEY_PHYSICAL_COMPROMISE",
]);

/** The first refused status the entry reports, or undefined when it reports none. */
export function refusedStatus(entry: MdsEntry): string | undefined {
  return entry.statusReports.find((r) => REFUSED_STATUSES.has(r.status))?.status;
}
