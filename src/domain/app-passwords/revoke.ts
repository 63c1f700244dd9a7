import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { notFound } from "../errors.js";
import { isUuid } from "../factors/index.js";
import { appPasswordByIdSql, revokeCte } from "./store.js";

/**
 * Revokes an app password, effective for the very next verification (which
 * reads the row), in one statement with its audit row. Revoking twice is
 * fine; an id the user does not have is NOT_FOUND, whoever else might own it.
 */
export async function revokeAppPassword(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  meta: RequestMeta,
  userId: string,
  appPasswordId: string,
): Promise<void> {
  if (!isUuid(appPasswordId)) throw notFound("app password");
  const now = deps.clock.now();
  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("user", userId, "text");
  s.define("now", now, "timestamptz");
  s.with("revoked", revokeCte(s, appPasswordId));
  s.with(
    "audit",
    auditInsertCte(s, meta, now, [
      { kind: "app_password.revoked", userId, factorSql: "(SELECT id FROM revoked)", when: "EXISTS (SELECT 1 FROM revoked)" },
    ]),
  );
  const r = await s.run<{ known: boolean; audits: WrittenAuditRow[] | null }>(
    deps.db,
    `SELECT EXISTS (${appPasswordByIdSql(s, appPasswordId)}) AS known, ${writtenAuditRows("audit")}`,
  );
  const row = r.rows[0];
  // Nothing changed when it was revoked already (idempotent); an unknown id is not the user's.
  if (row?.known !== true) throw notFound("app password");
  logWrittenAudits(deps.logger, meta, row.audits);
}
