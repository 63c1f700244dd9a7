import type { AppDeps } from "../../app.js";
import type { Role } from "../caller.js";
import { notFound } from "../errors.js";
import { auditApiKey } from "./audit.js";
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
  const at = deps.clock.now();
  const revoked = await deps.db.transaction(async (tx) => {
    const r = await tx.query<{ role: Role }>(
      `UPDATE api_keys SET revoked_at = $3
        WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL
        RETURNING role`,
      [tenant, id, at],
    );
    const row = r.rows[0];
    if (row === undefined) return false;
    await auditApiKey(tx, "api_key.revoked", tenant, id, at, { role: row.role });
    return true;
  });
  if (revoked) return true;
  const exists = await deps.db.query("SELECT 1 FROM api_keys WHERE tenant_id = $1 AND id = $2", [tenant, id]);
  if (exists.rows.length === 0) throw notFound("api key");
  return false;
}
