/**
 * Why a proof did not succeed: an ordinary outcome, not an error (docs/design.md
 * "Results and errors"). Mapped one to one onto the proto FailureReason.
 */
export type FailureReason =
  | "wrong_code"
  | "replayed"
  | "resync_needed"
  | "unknown_factor"
  | "clone_suspected"
  | "invalid_assertion"
  | "wrong_role"
  | "authenticator_not_allowed"
  | "attestation_not_trusted"
  /** The tenant's provider policy has turned this kind of proof off. */
  | "provider_disabled";
