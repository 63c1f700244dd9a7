import type { Queryable } from "../../../store/db.js";
import type { MdsEntry, MdsStatusReport } from "./mds-entry.js";

/** The imported blob's bookkeeping row. */
export interface StoredMdsBlob {
  serial: number;
  nextUpdate: string;
  signer: string;
  entries: number;
  importedAt: Date;
}

interface EntryRow {
  aaguid: string;
  description: string;
  attestation_roots: string[];
  status_reports: MdsStatusReport[];
}

/** The imported entry for `aaguid` (lower-case), or undefined when no blob lists it. */
export async function findMdsEntry(q: Queryable, aaguid: string): Promise<MdsEntry | undefined> {
  const r = await q.query<EntryRow>(
    `SELECT aaguid::text AS aaguid, description, attestation_roots, status_reports FROM mds_entries WHERE aaguid = $1::uuid`,
    [aaguid],
  );
  const row = r.rows[0];
  if (row === undefined) return undefined;
  return {
    aaguid: row.aaguid,
    description: row.description,
    attestationRoots: row.attestation_roots.map((b) => new Uint8Array(Buffer.from(b, "base64"))),
    statusReports: row.status_reports,
  };
}

/**
 * The imported blob, locked FOR UPDATE when `q` is a transaction, so two
 * imports racing one another compare serial numbers one after the other.
 */
export async function lockStoredMdsBlob(q: Queryable): Promise<StoredMdsBlob | undefined> {
  const r = await q.query<{ serial: number; next_update: string; signer: string; entries: number; imported_at: Date }>(
    `SELECT serial, to_char(next_update, 'YYYY-MM-DD') AS next_update, signer, entries, imported_at FROM mds_blobs FOR UPDATE`,
  );
  const row = r.rows[0];
  return row === undefined
    ? undefined
    : { serial: row.serial, nextUpdate: row.next_update, signer: row.signer, entries: row.entries, importedAt: row.imported_at };
}

/**
 * Replaces every MDS entry and the blob row: delete, one INSERT of all
 * entries through jsonb_to_recordset (one round trip, whatever the blob's
 * size), one upsert. Run inside the import's transaction.
 */
export async function replaceMdsData(q: Queryable, blob: StoredMdsBlob, entries: readonly MdsEntry[]): Promise<void> {
  await q.query(`DELETE FROM mds_entries`);
  const rows = entries.map((e) => ({
    aaguid: e.aaguid,
    description: e.description,
    attestation_roots: e.attestationRoots.map((d) => Buffer.from(d).toString("base64")),
    status_reports: e.statusReports,
  }));
  await q.query(
    `INSERT INTO mds_entries (aaguid, description, attestation_roots, status_reports)
     SELECT aaguid, description, attestation_roots, status_reports
       FROM jsonb_to_recordset($1::jsonb) AS e(aaguid uuid, description text, attestation_roots jsonb, status_reports jsonb)`,
    [JSON.stringify(rows)],
  );
  await q.query(
    `INSERT INTO mds_blobs (singleton, serial, next_update, signer, entries, imported_at)
     VALUES (true, $1, $2::date, $3, $4, $5)
     ON CONFLICT (singleton) DO UPDATE SET
       serial = EXCLUDED.serial, next_update = EXCLUDED.next_update, signer = EXCLUDED.signer,
       entries = EXCLUDED.entries, imported_at = EXCLUDED.imported_at`,
    [blob.serial, blob.nextUpdate, blob.signer, blob.entries, blob.importedAt],
  );
}
