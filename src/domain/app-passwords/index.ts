/** App passwords: device-specific passwords for clients that cannot do 2FA, scoped, optionally expiring, revocable. */
export { isLive, type AppPasswordView } from "./app-password.js";
export { createAppPassword, type CreateAppPasswordInput, type CreatedAppPassword } from "./create.js";
export { listAppPasswordPage, listAppPasswords, type AppPasswordPage } from "./list.js";
export { MAX_PAGE_TOKEN_CHARS } from "./page-token.js";
export { revokeAppPassword } from "./revoke.js";
export { isScope, MAX_NAME_CHARS, MAX_SCOPES, MAX_TTL_MS, MIN_TTL_MS } from "./rules.js";
export { revokeAllAppPasswordsCte } from "./store.js";
export { verifyAppPassword, type AppPasswordRefusal, type VerifyAppPasswordInput, type VerifyAppPasswordOutcome } from "./verify.js";
