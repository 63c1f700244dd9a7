/** A user's factors: the shared model and the operations every kind has (list, rename, remove). */
export { driftSeconds, MAX_FACTORS_PER_USER, MAX_LABEL_CHARS, PENDING_TTL_MS } from "./factor.js";
export type { Factor, FactorKind, FactorState, TokenProfile } from "./factor.js";
export type { FailureReason } from "./failure-reason.js";
export { listFactors } from "./list-factors.js";
export { removeFactor } from "./remove-factor.js";
export { renameFactor } from "./rename-factor.js";
