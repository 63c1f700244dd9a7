import type { X509Certificate } from "@peculiar/x509";
import type { AppDeps } from "../../../app.js";
import { isCaCertificate, parseCertificate } from "../../../crypto/x509.js";
import { MdsError } from "./mds-error.js";
import { lockStoredMdsBlob, replaceMdsData } from "./mds-store.js";
import { parseMdsBlob } from "./parse-mds-blob.js";
import { verifyMdsBlob } from "./verify-mds-blob.js";

/** What an import did, for the operator. */
export interface MdsImportSummary {
  serial: number;
  nextUpdate: string;
  /** Subject of the certificate that signed the blob. */
  signer: string;
  entries: number;
  skipped: number;
  ignored: number;
  /** True when this very blob (same serial) was imported already: nothing was written. */
  unchanged: boolean;
}

/** The blob text and the DER roots its chain must lead to. */
export interface ImportMdsInput {
  source: string;
  roots: readonly Uint8Array[];
}

/**
 * Imports an MDS3 blob downloaded by the operator: parsed, its certificate
 * chain and signature verified against `roots` (FIDO MDS3, "Metadata BLOB object processing rules"), then every
 * stored entry replaced in one transaction. A blob with a smaller serial
 * number than the stored one is refused (a replayed, older blob could hide a
 * revocation); the same serial again changes nothing. Any refusal throws
 * MdsError with nothing written.
 */
export async function importMdsBlob(deps: Pick<AppDeps, "db" | "clock">, input: ImportMdsInput): Promise<MdsImportSummary> {
  const now = deps.clock.now();
  // Ensure the roots are CA certificates.
  const roots: X509Certificate[] = [];
  for (const der of input.roots) {
    const cert = parseCertificate(der);
    if (cert === undefined || !isCaCertificate(cert)) throw new MdsError("the MDS root is not an X.509 CA certificate");
    roots.push(cert);
  }

  // Ensure the blob is one, signed by a chain to the root.
  const blob = parseMdsBlob(input.source);
  const signer = await verifyMdsBlob(blob, roots, now);
  const summary = {
    serial: blob.serial,
    nextUpdate: blob.nextUpdate,
    signer,
    entries: blob.entries.length,
    skipped: blob.skipped,
    ignored: blob.ignored,
  };

  return deps.db.transaction(async (tx) => {
    // Ensure the blob is not older than the one stored (FIDO MDS3: `no` grows with each blob).
    const stored = await lockStoredMdsBlob(tx);
    if (stored !== undefined && blob.serial < stored.serial) {
      throw new MdsError(`the blob's serial number ${blob.serial} is older than the imported blob's ${stored.serial}; nothing written`);
    }
    if (stored !== undefined && blob.serial === stored.serial) return { ...summary, unchanged: true };
    await replaceMdsData(
      tx,
      { serial: blob.serial, nextUpdate: blob.nextUpdate, signer, entries: blob.entries.length, importedAt: now },
      blob.entries,
    );
    return { ...summary, unchanged: false };
  });
}
