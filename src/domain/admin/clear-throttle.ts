import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { clearCte } from "../throttle/index.js";

/**
 * Lets a throttled user try again at once (an admin who has confirmed the
 * user's identity). Throttling never locks out for good, so this is a
 * convenience, not a way out of a lockout. One statement: the failures
 * forgotten (the row removed), and the audit row saying how many.
 */
export async function clearThrottle(deps: Pick<AppDeps, "db" | "clock" | "logger">, meta: RequestMeta, userId: string): Promise<void> {
  const at = deps.clock.now();
  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("user", userId, "text");
  s.define("now", at, "timestamptz");
  s.with("cleared", clearCte(s, s.ref("user")));
  s.with(
    "audit",
    auditInsertCte(s, meta, at, [
      { kind: "admin.throttle_cleared", userId, detailsSql: "jsonb_build_object('failures', COALESCE((SELECT failures FROM cleared), 0))" },
    ]),
  );
  const r = await s.run<{ audits: WrittenAuditRow[] | null }>(deps.db, `SELECT ${writtenAuditRows("audit")}`);
  logWrittenAudits(deps.logger, meta, r.rows[0]?.audits);
}
