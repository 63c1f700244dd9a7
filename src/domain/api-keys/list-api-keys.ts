import type { AppDeps } from "../../app.js";
import { apiKeyFromRow, type ApiKey } from "./api-key.js";
import { anyKeyExists, selectKeys } from "./store.js";
import { assertTenant } from "./tenant.js";

/** A tenant's keys, oldest first, revoked ones included (with their revocation time). */
export async function listApiKeys(deps: Pick<AppDeps, "db">, tenant: string): Promise<ApiKey[]> {
  assertTenant(tenant);
  return (await selectKeys(deps.db, tenant)).map(apiKeyFromRow);
}

/** True when no API key exists at all (the embedded first start creates a development key). */
export async function noApiKeysExist(deps: Pick<AppDeps, "db">): Promise<boolean> {
  return !(await anyKeyExists(deps.db));
}
