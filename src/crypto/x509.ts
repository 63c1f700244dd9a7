// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs this polyfill loaded first.
import "reflect-metadata";
import { BasicConstraintsExtension, X509Certificate } from "@peculiar/x509";

/** Longest chain (leaf and intermediates) we follow; real attestation and MDS chains have 1-3. */
export const MAX_CHAIN_CERTIFICATES = 8;

/** A DER certificate parsed, or undefined when it is not one. */
export function parseCertificate(der: Uint8Array): X509Certificate | undefined {
  try {
    return new X509Certificate(new Uint8Array(der));
  } catch {
    return undefined;
  }
}

/** True when the certificate says it is a CA (RFC 5280 §4.2.1.9: basicConstraints cA). */
export function isCaCertificate(cert: X509Certificate): boolean {
  return cert.getExtension(BasicConstraintsExtension)?.ca === true;
}

function validAt(cert: X509Certificate, at: Date): boolean {
  return cert.notBefore.getTime() <= at.getTime() && at.getTime() <= cert.notAfter.getTime();
}

function sameBytes(a: X509Certificate, b: X509Certificate): boolean {
  return Buffer.from(a.rawData).equals(Buffer.from(b.rawData));
}

async function signedBy(cert: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  if (cert.issuer !== issuer.subject) return false;
  try {
    return await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    // An algorithm WebCrypto cannot verify is a chain we cannot trust.
    return false;
  }
}

/**
 * Why `chain` (leaf first, each certificate followed by its issuer, as
 * WebAuthn §8 x5c and RFC 7515 §4.1.6 x5c order them) does not lead to one of
 * `anchors`, or undefined when it does: every link signed by the next
 * certificate, every issuer a CA, and every certificate on the path,
 * the anchor included, valid at `at` (RFC 5280 §6.1, without policy or name
 * constraints). The chain may end with the anchor itself, or with a
 * certificate the anchor signed. Revocation lists are not fetched: twofold
 * runs offline, and MDS status reports cover revoked models.
 */
export async function certificatePathProblem(
  chain: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  at: Date,
): Promise<string | undefined> {
  // Ensure there is a chain of a sane length.
  if (chain.length === 0) return "no certificate";
  if (chain.length > MAX_CHAIN_CERTIFICATES) return "too many certificates";

  // Ensure every certificate of the chain is in its validity period.
  if (chain.some((c) => !validAt(c, at))) return "a certificate is expired or not yet valid";

  // Ensure each certificate is signed by the next one, a CA.
  for (let i = 0; i + 1 < chain.length; i++) {
    const cert = chain[i] as X509Certificate;
    const issuer = chain[i + 1] as X509Certificate;
    if (!isCaCertificate(issuer) || !(await signedBy(cert, issuer))) return "the chain is broken";
  }

  // Ensure the chain ends at an anchor, or at a certificate an anchor (a valid CA) signed.
  // An anchor that is the very certificate need not be a CA: some MDS entries list the batch certificate itself.
  const last = chain[chain.length - 1] as X509Certificate;
  for (const anchor of anchors) {
    if (!validAt(anchor, at)) continue;
    if (sameBytes(last, anchor) || (isCaCertificate(anchor) && (await signedBy(last, anchor)))) return undefined;
  }
  return "the chain ends at no trust anchor";
}
