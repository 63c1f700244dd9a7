import type { AppDeps } from "../../app.js";
import { apiKeyFromRow, type ApiKey, type ApiKeyRow } from "./api-key.js";
import { assertTenant } from "./tenant.js";

/** A tenant's keys, oldest first, revoked ones included (with their revocation time). */
export async function listApiKeys(deps: Pick<AppDeps, "db">, tenant: string): Promise<ApiKey[]> {
  assertTenant(tenant);
  const r = await deps.db.query<ApiKeyRow>(
    `SELECT tenant_id, id, role, name, created_at, revoked_at
       FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id`,
    [tenant],
  );
  return r.rows.map(apiKeyFromRow);
}

/** True when no API key exists at all (the embedded first start creates a development key). */
export async function noApiKeysExist(deps: Pick<AppDeps, "db">): Promise<boolean> {
  const r = await deps.db.query("SELECT 1 FROM api_keys LIMIT 1");
  return r.rows.length === 0;
}
