import { parseCertificate } from "../../../crypto/x509.js";
import type { MdsEntry, MdsStatusReport } from "./mds-entry.js";
import { MdsError } from "./mds-error.js";

/** The MDS3 blob is a few megabytes; anything this big is not one. */
export const MAX_MDS_BLOB_BYTES = 64 * 1024 * 1024;

/** JWS algorithms (RFC 7518 §3.1) an MDS blob may be signed with; FIDO signs with RS256. */
export const MDS_JWS_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"] as const;
export type MdsJwsAlgorithm = (typeof MDS_JWS_ALGORITHMS)[number];

/** A blob split into what its signature covers and what it says, not yet verified. */
export interface ParsedMdsBlob {
  alg: MdsJwsAlgorithm;
  /** header.x5c, DER, the signing certificate first. */
  x5c: Uint8Array[];
  /** `BASE64URL(header).BASE64URL(payload)`, what the signature covers (RFC 7515 §5.2). */
  signingInput: string;
  signature: Uint8Array;
  /** payload.no: the blob's serial number. */
  serial: number;
  /** payload.nextUpdate, YYYY-MM-DD. */
  nextUpdate: string;
  /** The FIDO2 entries (those with an AAGUID) that could be read. */
  entries: MdsEntry[];
  /** FIDO2 entries left out: malformed roots or status reports, or a repeated AAGUID. */
  skipped: number;
  /** Entries of other protocols (UAF aaid, U2F key identifiers), which twofold does not use. */
  ignored: number;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A JWS part (base64url, no padding) as JSON, or an MdsError naming the part. */
function jsonPart(part: string, name: string): Record<string, unknown> {
  if (!BASE64URL.test(part)) throw new MdsError(`the blob's ${name} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw new MdsError(`the blob's ${name} is not JSON`);
  }
  if (!isRecord(value)) throw new MdsError(`the blob's ${name} is not a JSON object`);
  return value;
}

/** Standard base64 (x5c, RFC 7515 §4.1.6, and MDS certificate lists) to bytes, or undefined. */
function base64Bytes(v: unknown): Uint8Array | undefined {
  if (typeof v !== "string" || v === "" || !BASE64.test(v)) return undefined;
  return new Uint8Array(Buffer.from(v, "base64"));
}

/** A FIDO2 entry's roots and statuses, or undefined when they cannot be read. */
function readEntry(aaguid: string, raw: Record<string, unknown>): MdsEntry | undefined {
  const statement = raw["metadataStatement"];
  if (!isRecord(statement)) return undefined;
  const rootsRaw = statement["attestationRootCertificates"];
  if (!Array.isArray(rootsRaw)) return undefined;
  const attestationRoots: Uint8Array[] = [];
  for (const r of rootsRaw) {
    const der = base64Bytes(r);
    if (der === undefined || parseCertificate(der) === undefined) return undefined;
    attestationRoots.push(der);
  }
  const reportsRaw = raw["statusReports"];
  if (!Array.isArray(reportsRaw)) return undefined;
  const statusReports: MdsStatusReport[] = [];
  for (const r of reportsRaw) {
    if (!isRecord(r) || typeof r["status"] !== "string") return undefined;
    const date = r["effectiveDate"];
    statusReports.push({ status: r["status"], effectiveDate: typeof date === "string" ? date : "" });
  }
  const description = statement["description"];
  return { aaguid, description: typeof description === "string" ? description : "", attestationRoots, statusReports };
}

/**
 * Splits an MDS3 blob (FIDO MDS3, "Metadata BLOB": a JWS in compact serialisation, RFC 7515 §7.1) and
 * reads its payload. Refuses, as a whole, anything that is not such a blob;
 * a single FIDO2 entry that cannot be read is counted in `skipped` and left
 * out. The signature is not checked here: see verifyMdsBlob.
 */
export function parseMdsBlob(source: string): ParsedMdsBlob {
  const parts = source.trim().split(".");
  if (parts.length !== 3) throw new MdsError("the blob is not a JWT (three dot-separated parts)");
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

  // Ensure the header names an algorithm we verify and carries the signing chain.
  const header = jsonPart(headerPart, "header");
  const alg = header["alg"];
  if (typeof alg !== "string" || !(MDS_JWS_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new MdsError(`the blob's header alg must be one of ${MDS_JWS_ALGORITHMS.join(", ")}`);
  }
  const x5cRaw = header["x5c"];
  if (!Array.isArray(x5cRaw) || x5cRaw.length === 0) throw new MdsError("the blob's header has no x5c certificate chain");
  const x5c = x5cRaw.map((c) => base64Bytes(c));
  if (x5c.some((c) => c === undefined)) throw new MdsError("the blob's header x5c holds a value that is not base64");

  // Ensure the signature is there.
  if (signaturePart === "" || !BASE64URL.test(signaturePart)) throw new MdsError("the blob's signature is missing or not base64url");

  // Ensure the payload has a serial number, a next-update date and entries.
  const payload = jsonPart(payloadPart, "payload");
  const serial = payload["no"];
  if (typeof serial !== "number" || !Number.isSafeInteger(serial) || serial < 0) throw new MdsError("the blob's payload has no serial number (no)");
  const nextUpdate = payload["nextUpdate"];
  if (typeof nextUpdate !== "string" || !DATE.test(nextUpdate)) throw new MdsError("the blob's payload has no nextUpdate date (YYYY-MM-DD)");
  const rawEntries = payload["entries"];
  if (!Array.isArray(rawEntries)) throw new MdsError("the blob's payload has no entries list");

  // Read the FIDO2 entries, keyed by AAGUID ("Metadata BLOB Payload Entry").
  const entries: MdsEntry[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  let ignored = 0;
  for (const raw of rawEntries) {
    if (!isRecord(raw) || typeof raw["aaguid"] !== "string") {
      ignored++;
      continue;
    }
    const aaguid = raw["aaguid"].toLowerCase();
    const entry = UUID.test(aaguid) && !seen.has(aaguid) ? readEntry(aaguid, raw) : undefined;
    if (entry === undefined) {
      skipped++;
      continue;
    }
    seen.add(aaguid);
    entries.push(entry);
  }

  return {
    alg: alg as MdsJwsAlgorithm,
    x5c: x5c as Uint8Array[],
    signingInput: `${headerPart}.${payloadPart}`,
    signature: new Uint8Array(Buffer.from(signaturePart, "base64url")),
    serial,
    nextUpdate,
    entries,
    skipped,
    ignored,
  };
}
