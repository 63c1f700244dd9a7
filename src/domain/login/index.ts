/** The login flow: Challenge opens a transaction, Verify checks one proof against it. */
export { challenge, type ChallengeInput, type ChallengeResult } from "./challenge.js";
export { MAX_TRANSACTION_ATTEMPTS, TRANSACTION_TTL_MS, type Purpose } from "./transaction-store.js";
export { verifyLogin, type AuthContext, type VerifyResult } from "./verify.js";
