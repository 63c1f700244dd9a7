/** The login flow: Challenge opens a transaction, Verify checks one proof against it. */
export { challenge, type ChallengeInput, type ChallengeResult } from "./challenge.js";
export type { LoginProof, LoginProvider, ProofOutcome, ProviderName, ProviderOption } from "./provider.js";
export { loginProviders, proofVerifiers } from "./providers.js";
export { MAX_TRANSACTION_ATTEMPTS, TRANSACTION_TTL_MS } from "./transaction-store.js";
export { verifyLogin, type AuthContext, type VerifyResult } from "./verify.js";
