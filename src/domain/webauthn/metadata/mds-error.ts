/**
 * Why an MDS blob is refused as a whole (nothing is written). Messages are
 * for the operator running `twofold mds import`; they name the problem, not
 * a library's wording.
 */
export class MdsError extends Error {
  override readonly name = "MdsError";
}
