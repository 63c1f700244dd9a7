/**
 * Why a key container is refused as a whole. Messages name the key (by its
 * Id) and the problem, never a secret or a decrypted value.
 */
export class PskcError extends Error {
  override readonly name = "PskcError";
}
