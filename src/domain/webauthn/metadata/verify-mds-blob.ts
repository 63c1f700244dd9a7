import { constants, createPublicKey, verify, type KeyObject } from "node:crypto";
import type { X509Certificate } from "@peculiar/x509";
import { certificatePathProblem, parseCertificate } from "../../../crypto/x509.js";
import { MdsError } from "./mds-error.js";
import type { MdsJwsAlgorithm, ParsedMdsBlob } from "./parse-mds-blob.js";

/** What each JWS algorithm needs (RFC 7518 §3.3, §3.4): the hash, the key type, and for ECDSA the curve. */
const ALGORITHMS: Record<MdsJwsAlgorithm, { hash: string; key: "rsa" | "ec"; curve?: string }> = {
  RS256: { hash: "sha256", key: "rsa" },
  RS384: { hash: "sha384", key: "rsa" },
  RS512: { hash: "sha512", key: "rsa" },
  ES256: { hash: "sha256", key: "ec", curve: "prime256v1" },
  ES384: { hash: "sha384", key: "ec", curve: "secp384r1" },
  ES512: { hash: "sha512", key: "ec", curve: "secp521r1" },
};

/** True when `signature` is the JWS signature of `data` by `key` under `alg` (ECDSA as R‖S, RFC 7518 §3.4). */
function jwsSignatureValid(alg: MdsJwsAlgorithm, key: KeyObject, data: string, signature: Uint8Array): boolean {
  const a = ALGORITHMS[alg];
  if (key.asymmetricKeyType !== a.key) return false;
  if (a.curve !== undefined && key.asymmetricKeyDetails?.namedCurve !== a.curve) return false;
  try {
    return a.key === "ec"
      ? verify(a.hash, Buffer.from(data), { key, dsaEncoding: "ieee-p1363" }, signature)
      : verify(a.hash, Buffer.from(data), { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
}

/**
 * Checks a parsed MDS3 blob the way FIDO MDS3 ("Metadata BLOB object processing rules") asks:
 * the x5c chain in its header must lead to one of `roots` (the FIDO
 * Alliance's MDS root, or the one the operator names) and be valid at `at`,
 * and the JWS signature must verify with the first certificate's key. Returns
 * the signer's subject; throws MdsError otherwise. Certificate revocation
 * lists are not fetched (offline import).
 */
export async function verifyMdsBlob(blob: ParsedMdsBlob, roots: readonly X509Certificate[], at: Date): Promise<string> {
  // Ensure the header's certificates parse.
  const chain = blob.x5c.map((der) => parseCertificate(der));
  if (chain.some((c) => c === undefined)) throw new MdsError("the blob's header x5c holds something that is not an X.509 certificate");
  const certs = chain as X509Certificate[];
  const signer = certs[0] as X509Certificate;

  // Ensure the chain leads to a trusted MDS root.
  const problem = await certificatePathProblem(certs, roots, at);
  if (problem !== undefined) throw new MdsError(`the blob's certificate chain does not verify against the MDS root: ${problem}`);

  // Ensure the signature over header and payload verifies with the signing certificate's key.
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(signer.publicKey.rawData), format: "der", type: "spki" });
  } catch {
    throw new MdsError("the blob's signing certificate holds a key that cannot be used");
  }
  if (!jwsSignatureValid(blob.alg, key, blob.signingInput, blob.signature)) {
    throw new MdsError(`the blob's ${blob.alg} signature does not verify`);
  }
  return signer.subject;
}
