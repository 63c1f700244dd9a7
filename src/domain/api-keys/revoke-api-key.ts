import type { AppDeps } from "../../app.js";
import { notFound } from "../errors.js";
import { assertTenant } from "./tenant.js";

/**
 * Revokes a key; `authenticate` refuses it from the next request on (there is
 * no cache). Returns false when it was already revoked; NOT_FOUND when unknown.
 */
export async function revokeApiKey(
  deps: Pick<AppDeps, "db" | "clock">,
  tenant: string,
  id: string,
): Promise<boolean> {
  assertTenant(tenant);
  const r = await deps.db.query(
    `UPDATE api_keys SET revoked_at = $3
      WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL
      RETURNING id`,
    [tenant, id, deps.clock.now()],
  );
  if (r.rows.length > 0) return true;
  const exists = await deps.db.query("SELECT 1 FROM api_keys WHERE tenant_id = $1 AND id = $2", [tenant, id]);
  if (exists.rows.length === 0) throw notFound("api key");
  return false;
}
