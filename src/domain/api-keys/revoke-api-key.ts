import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { notFound } from "../errors.js";
import { keyExistsSql, revokeKeyCte } from "./store.js";
import { assertTenant } from "./tenant.js";

/**
 * Revokes a key in one statement: the update, its audit row, and the
 * notification that makes every replica drop the key from its cache
 * (cachedApiKeyAuthenticator), all committed together. Returns false when it
 * was revoked already; NOT_FOUND when unknown.
 */
export async function revokeApiKey(deps: Pick<AppDeps, "db" | "clock" | "logger">, tenant: string, id: string): Promise<boolean> {
  assertTenant(tenant);
  const at = deps.clock.now();
  const meta: RequestMeta = { caller: { tenant, keyId: id, role: "service" }, clientIp: "", requestId: "" };
  const s = new Statement();
  s.define("tenant", tenant, "text");
  s.define("now", at, "timestamptz");
  const revoke = revokeKeyCte(s, id);
  s.with("revoked", revoke.cte);
  s.with(
    "audit",
    auditInsertCte(s, meta, at, [
      {
        kind: "api_key.revoked",
        userId: "",
        detailsSql: "(SELECT jsonb_build_object('role', role) FROM revoked)",
        when: "EXISTS (SELECT 1 FROM revoked)",
      },
    ]),
  );
  const r = await s.run<{ revoked: boolean; known: boolean; audits: WrittenAuditRow[] | null }>(
    deps.db,
    `SELECT EXISTS (SELECT 1 FROM revoked) AS revoked, ${keyExistsSql(s, id)} AS known, ${revoke.notify} AS notified, ${writtenAuditRows("audit")}`,
  );
  const row = r.rows[0];
  if (row?.known !== true) throw notFound("api key");
  logWrittenAudits(deps.logger, meta, row.audits);
  return row.revoked;
}
