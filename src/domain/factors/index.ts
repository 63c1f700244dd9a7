/**
 * A user's factors: the shared model and row, the operations every kind has
 * (list, rename, remove), the factors table's shared statements, and the
 * contract every login provider implements.
 */
export { authenticatorName, ZERO_AAGUID } from "./authenticators.js";
export { driftSeconds, MAX_FACTORS_PER_USER, MAX_LABEL_CHARS, PENDING_TTL_MS } from "./factor.js";
export type { Factor, FactorKind, FactorState, TokenProfile } from "./factor.js";
export type { FailureReason } from "./failure-reason.js";
export { listFactors } from "./list-factors.js";
export type {
  BurnPart,
  ChallengeView,
  Decision,
  LoginAttempt,
  LoginProof,
  LoginProvider,
  ProviderDeps,
  ProviderName,
  ProviderOption,
} from "./login-provider.js";
export { removeFactor } from "./remove-factor.js";
export { rotateFactorSecrets, type RotationReport } from "./rotate-secrets.js";
export { renameFactor } from "./rename-factor.js";
export { FACTOR_COLUMNS, factorFromRow, factorRowsAggSql, factorRowsFromJson, factorRowsJsonSql, isUuid, otpStateOf, type FactorRow } from "./row.js";
export {
  activeFactorsSql,
  deleteFactorsOfKindsCte,
  findFactor,
  insertFactorCte,
  purgeLapsedCte,
  returningFactorSql,
  type NewFactor,
} from "./store.js";
