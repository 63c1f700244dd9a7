import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { notFound } from "../errors.js";
import type { Factor } from "./factor.js";
import { factorFromRow, isUuid, type FactorRow } from "./row.js";
import { renameFactorCte } from "./store.js";

/**
 * Gives a factor a new label (validated upstream: 1–64 characters, no
 * control characters): the update and its audit row in one statement.
 */
export async function renameFactor(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  meta: RequestMeta,
  input: { userId: string; factorId: string; label: string },
): Promise<Factor> {
  if (!isUuid(input.factorId)) throw notFound("factor");
  const now = deps.clock.now();
  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("user", input.userId, "text");
  s.define("now", now, "timestamptz");
  s.with("renamed", renameFactorCte(s, input.factorId, input.label));
  s.with(
    "audit",
    auditInsertCte(s, meta, now, [
      { kind: "factor.renamed", userId: input.userId, factorSql: "(SELECT id FROM renamed)", when: "EXISTS (SELECT 1 FROM renamed)" },
    ]),
  );
  const r = await s.run<FactorRow & { audits: WrittenAuditRow[] | null }>(
    deps.db,
    `SELECT renamed.*, ${writtenAuditRows("audit")} FROM renamed`,
  );
  const row = r.rows[0];
  if (row === undefined) throw notFound("factor");
  logWrittenAudits(deps.logger, meta, row.audits);
  return factorFromRow(row);
}
