import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import { normaliseCrockford } from "../backup-codes/index.js";
import type { RequestMeta } from "../caller.js";
import { kindDisabledSql } from "../policy/index.js";
import { admitJudgedCte, blockedAuditRow, blockedUntilSql, throttleRefusal } from "../throttle/index.js";
import type { AppPasswordView } from "./app-password.js";
import { APP_PASSWORD_HASH_PURPOSE, APP_PASSWORD_SYMBOLS } from "./rules.js";
import { appPasswordByHashSql, recordUseCte, toView, type Row } from "./store.js";

export interface VerifyAppPasswordInput {
  userId: string;
  /** As typed; normalised like backup codes (case, spaces, dashes, O/0, I/L/1). */
  password: string;
  requiredScope: string;
}

/** Why an app password was refused. */
export type AppPasswordRefusal = "wrong_code" | "expired" | "revoked" | "out_of_scope" | "provider_disabled";

export type VerifyAppPasswordOutcome =
  | { ok: true; appPassword: AppPasswordView }
  /** Wrong, or app passwords are turned off (then whether it was right is not told). */
  | { ok: false; reason: "wrong_code" | "provider_disabled" }
  /** The password is right but may not be used: the app password it matched is named. */
  | { ok: false; reason: Exclude<AppPasswordRefusal, "wrong_code" | "provider_disabled">; appPassword: AppPasswordView };

interface VerifyRow {
  admitted: boolean;
  blocked_until: Date | null;
  verdict: "ok" | AppPasswordRefusal;
  pw: Row | null;
  used: Row | null;
  audits: WrittenAuditRow[] | null;
}

/**
 * Checks an app password for a scope, bypassing the second factor only for
 * the scopes it was created with, in one statement.
 *
 * The password is normalised and hashed under the server pepper in memory;
 * the statement finds it with one index probe on (tenant, user, hash),
 * judges it (revoked, expired, out of scope), admits the attempt past the
 * user's shared throttle (the one the login flow uses, across providers) and
 * records the outcome there in the same upsert, records the use (time and
 * client ip) only while the password is still live, and writes the audit
 * row. A waiting user is refused with RESOURCE_EXHAUSTED and nothing is
 * evaluated for them. Every refusal counts as a failure; a success forgets
 * them (a revocation landing in the same instant refuses the use even so).
 * When the tenant's provider policy has turned app passwords off, the same
 * lookup and hashing happen and every attempt is refused as
 * `provider_disabled`, counted by the throttle like a wrong password.
 */
export async function verifyAppPassword(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "logger">,
  meta: RequestMeta,
  input: VerifyAppPasswordInput,
): Promise<VerifyAppPasswordOutcome> {
  const now = deps.clock.now();
  const { userId } = input;
  // Malformed input is hashed all the same, and matches nothing.
  const normalised = normaliseCrockford(input.password, APP_PASSWORD_SYMBOLS);
  const hash = deps.keyring.keyedHash(APP_PASSWORD_HASH_PURPOSE, normalised ?? "");

  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("user", userId, "text");
  s.define("now", now, "timestamptz");
  s.define("client_ip", meta.clientIp, "text");
  const scope = s.param(input.requiredScope, "text");
  s.with("pw", normalised === undefined ? `${appPasswordByHashSql(s, hash)} AND false` : appPasswordByHashSql(s, hash));
  s.with(
    "verdict",
    `SELECT CASE
       WHEN ${kindDisabledSql(s.ref("tenant"), "'app_passwords'")} THEN 'provider_disabled'
       WHEN NOT EXISTS (SELECT 1 FROM pw) THEN 'wrong_code'
       WHEN (SELECT revoked_at FROM pw) IS NOT NULL THEN 'revoked'
       WHEN (SELECT expires_at FROM pw) <= ${s.ref("now")} THEN 'expired'
       WHEN NOT ((SELECT scopes FROM pw) ? ${scope}) THEN 'out_of_scope'
       ELSE 'ok' END AS v`,
  );
  const ok = "(SELECT v FROM verdict) = 'ok'";
  s.with("admit", admitJudgedCte(s, s.ref("user"), ok));
  const admitted = "EXISTS (SELECT 1 FROM admit)";
  s.with("used", recordUseCte(s, `${ok} AND ${admitted}`));
  const used = "EXISTS (SELECT 1 FROM used)";
  s.with(
    "audit",
    auditInsertCte(s, meta, now, [
      blockedAuditRow(s, s.ref("user"), `NOT ${admitted}`),
      { kind: "app_password.verified", userId, factorSql: "(SELECT id FROM used)", details: { scope: input.requiredScope }, when: used },
      {
        kind: "app_password.refused",
        userId,
        factorSql: "COALESCE((SELECT id FROM pw), '')",
        // A password judged usable whose use did not record was revoked or expired in the same instant.
        detailsSql: `jsonb_build_object('reason', CASE WHEN ${ok} THEN 'revoked' ELSE (SELECT v FROM verdict) END, 'scope', ${scope})`,
        when: `${admitted} AND NOT ${used}`,
      },
    ]),
  );
  const r = await s.run<VerifyRow>(
    deps.db,
    `SELECT ${admitted} AS admitted, ${blockedUntilSql(s, s.ref("user"))} AS blocked_until, (SELECT v FROM verdict) AS verdict,
       (SELECT row_to_json(p) FROM (SELECT id, name, scopes, created_at, expires_at, last_used_at, last_used_ip, revoked_at FROM pw) p) AS pw,
       (SELECT row_to_json(u) FROM used u) AS used,
       ${writtenAuditRows("audit")}`,
  );
  const row = r.rows[0];
  if (row === undefined) throw new Error("the app password statement returned no row");
  logWrittenAudits(deps.logger, meta, row.audits);
  // Ensure the user is not waiting out earlier failures.
  if (!row.admitted) throw throttleRefusal(row.blocked_until, now);
  if (row.used !== null) return { ok: true, appPassword: viewFromJson(row.used) };
  if (row.verdict === "provider_disabled") return { ok: false, reason: "provider_disabled" };
  if (row.pw === null) return { ok: false, reason: "wrong_code" };
  const reason = row.verdict === "ok" || row.verdict === "wrong_code" ? "revoked" : row.verdict;
  return { ok: false, reason, appPassword: viewFromJson(row.pw) };
}

/** An app password row that came back as JSON: timestamps as text. */
function viewFromJson(j: Row): AppPasswordView {
  const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));
  return toView({
    ...j,
    created_at: date(j.created_at) as Date,
    expires_at: date(j.expires_at),
    last_used_at: date(j.last_used_at),
    revoked_at: date(j.revoked_at),
  });
}
