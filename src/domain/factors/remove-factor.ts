import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { notFound } from "../errors.js";
import { isUuid } from "./row.js";
import { deleteFactorCte } from "./store.js";

/** Removes one of the user's factors, pending or active, with its sealed secret; the delete and its audit row are one statement. */
export async function removeFactor(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  meta: RequestMeta,
  input: { userId: string; factorId: string },
): Promise<void> {
  if (!isUuid(input.factorId)) throw notFound("factor");
  const now = deps.clock.now();
  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("user", input.userId, "text");
  s.define("now", now, "timestamptz");
  s.with("removed", deleteFactorCte(s, input.factorId));
  s.with(
    "audit",
    auditInsertCte(s, meta, now, [
      {
        kind: "factor.removed",
        userId: input.userId,
        factorSql: "(SELECT id FROM removed)",
        detailsSql: "(SELECT jsonb_build_object('factor_kind', kind, 'state', state) FROM removed)",
        when: "EXISTS (SELECT 1 FROM removed)",
      },
    ]),
  );
  const r = await s.run<{ id: string; audits: WrittenAuditRow[] | null }>(deps.db, `SELECT removed.id, ${writtenAuditRows("audit")} FROM removed`);
  const row = r.rows[0];
  if (row === undefined) throw notFound("factor");
  logWrittenAudits(deps.logger, meta, row.audits);
}
