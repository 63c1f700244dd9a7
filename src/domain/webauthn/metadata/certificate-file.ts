const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

/**
 * The DER certificates of a file: every PEM CERTIFICATE block (RFC 7468 §5)
 * when the file has any, otherwise the whole file as one DER certificate.
 * Whether they are certificates is for the caller to check.
 */
export function certificatesFromFile(bytes: Uint8Array): Uint8Array[] {
  const text = Buffer.from(bytes).toString("latin1");
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => new Uint8Array(Buffer.from((m[1] ?? "").replace(/\s+/g, ""), "base64")));
  if (blocks.length > 0) return blocks;
  return text.includes("-----BEGIN") ? [] : [new Uint8Array(bytes)];
}
