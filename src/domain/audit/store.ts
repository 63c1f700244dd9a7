import type { Queryable } from "../../store/db.js";
import type { Statement } from "../../store/statement.js";
import type { RequestMeta } from "../caller.js";
import type { AuditDetails, AuditEntry, AuditEvent, AuditKind } from "./audit-event.js";

/**
 * The audit_events table's SQL: the row a composed statement writes beside
 * the change it records, the standalone insert, and the readers.
 */

/** One audit row a composed statement may write. Every field but `kind` may be SQL computed in the statement. */
export interface AuditRowPart {
  /** SQL boolean: the row is written only when it holds (for example `EXISTS (SELECT 1 FROM spend)`). */
  when?: string;
  /** A FROM clause: one row per row of it (for example one `factor.expired` per purged enrolment, `purged p`). */
  from?: string;
  kind: AuditKind;
  /** SQL text for the user; default the given user id. */
  userSql?: string;
  userId?: string;
  /** SQL text for the factor; default the given factor id, else empty. */
  factorSql?: string;
  factorId?: string;
  /** Fixed details, or SQL computing a jsonb object in the statement (counts it knows only there). */
  details?: AuditDetails;
  detailsSql?: string;
}

/**
 * A CTE body inserting the rows whose `when` holds, in the same statement as
 * the change they record (so a success and its audit row commit together),
 * returning what it wrote for the log lines. Details carry non-secret facts
 * only: never a code, secret or password.
 */
export function auditInsertCte(s: Statement, meta: RequestMeta, at: Date, rows: readonly AuditRowPart[]): string {
  const tenant = s.named("tenant", meta.caller.tenant, "text");
  const now = s.named("now", at, "timestamptz");
  const key = s.named("api_key_id", meta.caller.keyId, "text");
  const ip = s.named("client_ip", meta.clientIp, "text");
  const selects = rows.map((r) => {
    const user = r.userSql ?? s.param(r.userId ?? "", "text");
    const factor = r.factorSql ?? s.param(r.factorId ?? "", "text");
    const details = r.detailsSql ?? s.param(JSON.stringify(r.details ?? {}), "jsonb");
    const from = r.from === undefined ? "" : ` FROM ${r.from}`;
    const where = r.when === undefined ? "" : ` WHERE ${r.when}`;
    return `SELECT ${tenant}, ${user}, ${s.param(r.kind, "text")}, ${factor}, ${now}, ${key}, ${ip}, ${details}${from}${where}`;
  });
  return `INSERT INTO audit_events (tenant_id, user_id, kind, factor_id, at, api_key_id, client_ip, details)
    ${selects.join("\n    UNION ALL ")}
    RETURNING kind, user_id, factor_id, details`;
}

/** What auditInsertCte returns, aggregated by the statement's final query as JSON (`json_agg`). */
export interface WrittenAuditRow {
  kind: AuditKind;
  user_id: string;
  factor_id: string;
  details: AuditDetails;
}

/** The select-list entry (named `as`) that hands back the rows an audit CTE named `cte` wrote. */
export function writtenAuditRows(cte: string, as = "audits"): string {
  return `(SELECT json_agg(${cte}) FROM ${cte}) AS ${as}`;
}

/** One audit row on its own (inside a caller's transaction, or alone). */
export async function insertAuditRow(q: Queryable, meta: RequestMeta, at: Date, entry: AuditEntry): Promise<void> {
  await q.query(
    `INSERT INTO audit_events (tenant_id, user_id, kind, factor_id, at, api_key_id, client_ip, details)
     VALUES ($1::text, $2::text, $3::text, $4::text, $5::timestamptz, $6::text, $7::text, $8::jsonb)`,
    [meta.caller.tenant, entry.userId, entry.kind, entry.factorId ?? "", at, meta.caller.keyId, meta.clientIp, JSON.stringify(entry.details ?? {})],
  );
}

interface AuditRow {
  id: number | string;
  tx_id: string;
  tenant_id: string;
  user_id: string;
  kind: string;
  factor_id: string;
  at: Date;
  api_key_id: string;
  client_ip: string;
  details: Record<string, unknown> | null;
}

const COLUMNS = "id, tx_id::text AS tx_id, tenant_id, user_id, kind, factor_id, at, api_key_id, client_ip, details";

function toEvent(r: AuditRow): AuditEvent {
  return {
    id: Number(r.id),
    txId: r.tx_id,
    tenant: r.tenant_id,
    userId: r.user_id,
    kind: r.kind,
    factorId: r.factor_id,
    at: r.at,
    apiKeyId: r.api_key_id,
    clientIp: r.client_ip,
    details: r.details ?? {},
  };
}

/**
 * A tenant's audit events, oldest first, optionally for one user. A plain
 * reader for tests and tools; the paged admin listing is selectAuditPage.
 */
export async function selectAuditEvents(q: Queryable, tenant: string, opts: { userId?: string; limit?: number } = {}): Promise<AuditEvent[]> {
  const result = await q.query<AuditRow>(
    `SELECT ${COLUMNS} FROM audit_events
     WHERE tenant_id = $1::text AND ($2::text IS NULL OR user_id = $2::text)
     ORDER BY id
     LIMIT $3::integer`,
    [tenant, opts.userId ?? null, opts.limit ?? 1000],
  );
  return result.rows.map(toEvent);
}

/** Where a page of the newest-first listing continues: the commit-order key of the last event shown. */
export interface AuditPageCursor {
  txId: string;
  id: number;
}

/**
 * Up to `limit` events, newest first in commit order, below `after` (or,
 * on the first page, below the oldest transaction still running: no event
 * can commit later with a key under that bound, so a listing paged to its
 * end has neither a gap nor a duplicate). Empty `userId` lists the tenant.
 */
export async function selectAuditPage(
  q: Queryable,
  tenant: string,
  userId: string,
  after: AuditPageCursor | undefined,
  limit: number,
): Promise<AuditEvent[]> {
  const params: unknown[] = [tenant, limit];
  // Separate shapes rather than ORs on the filters, so each uses its index.
  let where = "tenant_id = $1::text";
  if (userId !== "") {
    params.push(userId);
    where += ` AND user_id = $${params.length}::text`;
  }
  if (after === undefined) {
    where += " AND tx_id < pg_snapshot_xmin(pg_current_snapshot())";
  } else {
    params.push(after.txId, after.id);
    where += ` AND (tx_id, id) < ($${params.length - 1}::xid8, $${params.length}::bigint)`;
  }
  const result = await q.query<AuditRow>(
    `SELECT ${COLUMNS} FROM audit_events WHERE ${where} ORDER BY tx_id DESC, id DESC LIMIT $2::integer`,
    params,
  );
  return result.rows.map(toEvent);
}
