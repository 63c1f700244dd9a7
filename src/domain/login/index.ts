/** The login flow: Challenge opens a transaction, Verify checks one proof against it. */
export { challenge, type ChallengeInput, type ChallengeResult } from "./challenge.js";
export { EXPIRED_TRANSACTION_KEPT_MS, startTransactionSweeper, sweepExpiredTransactions } from "./sweep.js";
export { type Purpose } from "./transaction-store.js";
export { ChallengeMemory } from "./memory.js";
export { openTenantSettingsCache, type TenantSettingsCache } from "./settings-cache.js";
export type { AuthContext, VerifyResult } from "./outcome.js";
export { verifyLogin } from "./verify.js";
