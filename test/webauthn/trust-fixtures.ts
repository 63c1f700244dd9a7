import { webcrypto } from "node:crypto";
// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs this polyfill loaded first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { AttestationCa } from "../../emulator/index.js";
import { T0 } from "../rpc/harness.js";

/** AAGUIDs of the emulated models (EMULATOR profiles). */
export const NITROKEY_3_XN = "ec99db19-cd1f-4c06-a2a9-940f17a6a30b";
export const NITROKEY_3_AM = "2cd2f727-f6ca-44da-8f48-5c2e5da000a2";
export const NITROKEY_FIDO2 = "c39efba6-fcf4-4c3e-828b-fc4a6115a0ff";
export const ZERO_AAGUID = "00000000-0000-0000-0000-000000000000";

const DAY = 86_400_000;
const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
const RSA_SIGN = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/** The harness's pinned time, so certificate validity is judged at T0 like everything else. */
export const pinnedClock = { now: () => new Date(T0) };

/** An emulator attestation CA whose certificates are valid from a day before T0 (for 20-30 years). */
export function pinnedCa(commonName?: string): Promise<AttestationCa> {
  return AttestationCa.create({ clock: pinnedClock, ...(commonName === undefined ? {} : { commonName }) });
}

/** A certificate and its key pair. */
export interface Issued {
  cert: x509.X509Certificate;
  der: Uint8Array;
  keys: webcrypto.CryptoKeyPair;
}

/** Certificate options for {@link issue}. */
export interface IssueOptions {
  subject: string;
  /** Self-signed when omitted. */
  issuer?: Issued;
  ca: boolean;
  alg?: "ES256" | "RS256";
  notBefore?: Date;
  notAfter?: Date;
  extensions?: x509.Extension[];
}

/** Makes a certificate (P-256 or RSA 2048), valid by default from T0 − 1 day for 5 years. */
export async function issue(o: IssueOptions): Promise<Issued> {
  const algorithm = o.alg === "RS256" ? RSA : EC;
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const signerKey = o.issuer?.keys.privateKey ?? keys.privateKey;
  const signingAlgorithm = signerKey.algorithm.name === "RSASSA-PKCS1-v1_5" ? RSA_SIGN : EC;
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString("hex");
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `01${serial}`,
    subject: o.subject,
    issuer: o.issuer?.cert.subject ?? o.subject,
    notBefore: o.notBefore ?? new Date(T0.getTime() - DAY),
    notAfter: o.notAfter ?? new Date(T0.getTime() + 5 * 365 * DAY),
    publicKey: keys.publicKey,
    signingKey: signerKey,
    signingAlgorithm,
    extensions: [new x509.BasicConstraintsExtension(o.ca, undefined, true), ...(o.extensions ?? [])],
  });
  return { cert, der: new Uint8Array(cert.rawData), keys };
}

/** The AAGUID extension (id-fido-gen-ce-aaguid) for `aaguid`. */
export function aaguidExtension(aaguid: string, critical = false): x509.Extension {
  return new x509.Extension("1.3.6.1.4.1.45724.1.1.4", critical, Uint8Array.of(0x04, 0x10, ...Buffer.from(aaguid.replaceAll("-", ""), "hex")));
}

/** Who signs a test MDS blob: a root of the test's own and the certificates x5c carries. */
export interface MdsSigner {
  alg: "ES256" | "RS256";
  root: Issued;
  /** The signing certificate, then any intermediates. */
  chain: Issued[];
}

/** A test MDS signer: root → [intermediate →] signing certificate, all valid at T0 and at the real time of the run. */
export async function mdsSigner(opts: { alg?: "ES256" | "RS256"; intermediate?: boolean; signerNotAfter?: Date } = {}): Promise<MdsSigner> {
  const alg = opts.alg ?? "ES256";
  const root = await issue({ subject: "C=US, O=Test MDS, CN=Test MDS Root", ca: true, alg });
  const intermediate = opts.intermediate ? await issue({ subject: "C=US, O=Test MDS, CN=Test MDS CA", issuer: root, ca: true, alg }) : undefined;
  const leaf = await issue({
    subject: "C=US, O=Test MDS, CN=mds.test.example",
    issuer: intermediate ?? root,
    ca: false,
    alg,
    ...(opts.signerNotAfter === undefined ? {} : { notAfter: opts.signerNotAfter, notBefore: new Date(opts.signerNotAfter.getTime() - 30 * DAY) }),
  });
  return { alg, root, chain: intermediate === undefined ? [leaf] : [leaf, intermediate] };
}

/** One FIDO2 entry of a test blob: the model's roots and its status reports, oldest first. */
export function mdsEntry(aaguid: string, roots: readonly Uint8Array[], statuses: readonly string[] = ["FIDO_CERTIFIED_L1"]): Record<string, unknown> {
  return {
    aaguid,
    metadataStatement: {
      aaguid,
      description: `test model ${aaguid.slice(0, 8)}`,
      schema: 3,
      protocolFamily: "fido2",
      attestationTypes: ["basic_full"],
      attestationRootCertificates: roots.map((r) => Buffer.from(r).toString("base64")),
    },
    statusReports: statuses.map((status, i) => ({ status, effectiveDate: `2025-0${i + 1}-01` })),
    timeOfLastStatusChange: "2025-01-01",
  };
}

/** A blob payload (FIDO MDS3 "Metadata BLOB Payload"). */
export function mdsPayload(no: number, entries: readonly unknown[]): Record<string, unknown> {
  return { legalHeader: "Test data, not the FIDO Alliance's.", no, nextUpdate: "2026-02-01", entries };
}

const b64url = (v: string | Uint8Array) => Buffer.from(v).toString("base64url");

/** Signs `payload` as a compact JWS with `signer`'s key and its chain in the x5c header (standard base64, RFC 7515 §4.1.6). */
export async function signMdsBlob(signer: MdsSigner, payload: unknown, header: Record<string, unknown> = {}): Promise<string> {
  const h = { alg: signer.alg, typ: "JWT", x5c: signer.chain.map((c) => Buffer.from(c.der).toString("base64")), ...header };
  const input = `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(payload))}`;
  const key = signer.chain[0]?.keys.privateKey as webcrypto.CryptoKey;
  // WebCrypto's ECDSA signature is already R‖S, the JWS form (RFC 7518 §3.4).
  const algorithm = signer.alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5" };
  const sig = new Uint8Array(await webcrypto.subtle.sign(algorithm, key, Buffer.from(input)));
  return `${input}.${b64url(sig)}`;
}

/** The blob with its payload replaced but the old signature kept: a tampered blob. */
export function withPayload(blob: string, payload: unknown): string {
  const [h, , s] = blob.split(".");
  return `${h}.${b64url(JSON.stringify(payload))}.${s}`;
}
