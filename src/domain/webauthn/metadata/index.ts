/**
 * FIDO Metadata Service (MDS3) data, imported offline: the blob's signature
 * and chain checked, its FIDO2 entries (roots and status reports, by AAGUID)
 * stored for the attestation checks of tenants that keep an allow-list.
 */
export { certificatesFromFile } from "./certificate-file.js";
export { FIDO_MDS_ROOT_PEM, FIDO_MDS_ROOT_SHA256 } from "./fido-mds-root.js";
export { importMdsBlob, type ImportMdsInput, type MdsImportSummary } from "./import-mds.js";
export { refusedStatus, REFUSED_STATUSES, type MdsEntry, type MdsStatusReport } from "./mds-entry.js";
export { MdsError } from "./mds-error.js";
export { findMdsEntry } from "./mds-store.js";
export { MAX_MDS_BLOB_BYTES } from "./parse-mds-blob.js";
