/** API keys: who may call twofold, for which tenant, with which role. */
export { type ApiKey } from "./api-key.js";
export {
  apiKeyAuthenticator,
  authenticateApiKey,
  cachedApiKeyAuthenticator,
  type ApiKeyCacheOptions,
  type Authenticate,
  type CachedAuthenticator,
} from "./authenticate.js";
export { createApiKey, type CreateApiKeyInput, type CreatedApiKey } from "./create-api-key.js";
export { listApiKeys, noApiKeysExist } from "./list-api-keys.js";
export { revokeApiKey } from "./revoke-api-key.js";
export { isValidTenant } from "./tenant.js";
