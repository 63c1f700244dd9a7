/**
 * The keyring seals factor secrets with AES-256-GCM and derives the peppers
 * used for keyed hashes. Interface only here; the implementation lives in
 * keyring-aes.ts.
 */
export interface Keyring {
  /** Id of the key new ciphertexts are sealed with (the first configured). */
  readonly currentKeyId: string;
  /**
   * Seals `plain`; `associatedData` binds the ciphertext to its row
   * (tenant, user, factor id), so a ciphertext copied elsewhere fails to open.
   * The result carries the key id it was sealed with.
   */
  seal(plain: Uint8Array, associatedData: string): Buffer;
  /** Opens a sealed value with whichever configured key sealed it. */
  open(sealed: Uint8Array, associatedData: string): Buffer;
  /** The key id a sealed value was sealed with. */
  keyIdOf(sealed: Uint8Array): string;
  /** HMAC-SHA256 under the server pepper, domain-separated by `purpose`. */
  keyedHash(purpose: string, data: string | Uint8Array): Buffer;
}

/**
 * Associated data for a factor's sealed secret. Binding tenant, user and factor
 * id means a ciphertext moved to another row (or tenant) no longer opens.
 */
export function factorSecretAad(tenantId: string, userId: string, factorId: string): string {
  return JSON.stringify(["twofold/factor-secret/v1", tenantId, userId, factorId]);
}
