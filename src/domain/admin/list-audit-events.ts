import type { AppDeps } from "../../app.js";
import { invalidArgument, type FieldViolation } from "../errors.js";
import { decodeAuditPageToken, encodeAuditPageToken } from "./audit-page-token.js";
import { checkUserId } from "./user-id.js";

export const DEFAULT_AUDIT_PAGE_SIZE = 50;
export const MAX_AUDIT_PAGE_SIZE = 500;

/** One audit event as an administrator sees it. Details are non-secret strings. */
export interface AuditEventRecord {
  id: number;
  userId: string;
  kind: string;
  factorId: string;
  at: Date;
  apiKeyId: string;
  clientIp: string;
  details: Record<string, string>;
}

export interface ListAuditEventsInput {
  /** Empty lists every user's events. */
  userId: string;
  /** 0 means DEFAULT_AUDIT_PAGE_SIZE. */
  pageSize: number;
  pageToken: string;
  /**
   * The largest response the transport will send (config.maxMessageBytes). A
   * page stops early, with a next_page_token, before its events could exceed
   * it (AIP-158 lets a page hold fewer than page_size), so a page of 500
   * large events never fails as RESOURCE_EXHAUSTED.
   */
  maxResponseBytes: number;
}

export interface AuditEventPage {
  events: AuditEventRecord[];
  /** Empty on the last page. */
  nextPageToken: string;
}

interface AuditRow {
  id: number;
  user_id: string;
  kind: string;
  factor_id: string;
  at: Date;
  api_key_id: string;
  client_ip: string;
  details: Record<string, unknown> | null;
}

/** Details are written as JSON by several modules; show every value as text. */
function detailStrings(details: Record<string, unknown> | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(details ?? {})) {
    out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

function toRecord(row: AuditRow): AuditEventRecord {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    factorId: row.factor_id,
    at: row.at,
    apiKeyId: row.api_key_id,
    clientIp: row.client_ip,
    details: detailStrings(row.details),
  };
}

/** Room kept for the response envelope and the next_page_token. */
const RESPONSE_OVERHEAD_BYTES = 1024;

/**
 * An upper bound on one event's size in the larger of the two encodings
 * (Connect JSON: field names, quotes, an RFC 3339 time): fixed overhead plus
 * every string twice, which covers JSON escaping of quotes and backslashes.
 */
export function auditEventBytesBound(e: AuditEventRecord): number {
  let strings = Buffer.byteLength(e.userId) + Buffer.byteLength(e.kind) + Buffer.byteLength(e.factorId);
  strings += Buffer.byteLength(e.apiKeyId) + Buffer.byteLength(e.clientIp);
  let detailBytes = 0;
  for (const [k, v] of Object.entries(e.details)) detailBytes += Buffer.byteLength(k) + Buffer.byteLength(v) + 8;
  return 256 + 2 * (strings + detailBytes);
}

/**
 * A page of the tenant's audit events, newest first. Keyset pagination on the
 * identity id (`id < last id`), never OFFSET: events written while an admin
 * pages get larger ids and cannot shift later pages, so there is neither a
 * duplicate nor a gap between pages. (An event whose transaction commits after
 * a page was read with a smaller id than that page's last can still fall
 * behind the cursor; identity ids are taken at insert, not at commit.)
 * A page holds at most page_size events, fewer when the response would
 * otherwise outgrow `maxResponseBytes`.
 */
export async function listAuditEvents(
  deps: Pick<AppDeps, "db" | "keyring">,
  tenant: string,
  input: ListAuditEventsInput,
): Promise<AuditEventPage> {
  const violations: FieldViolation[] = [];
  if (input.userId !== "") checkUserId(input.userId, violations);
  if (!Number.isInteger(input.pageSize) || input.pageSize < 0 || input.pageSize > MAX_AUDIT_PAGE_SIZE) {
    violations.push({ field: "page_size", description: `must be 1-${MAX_AUDIT_PAGE_SIZE}, or 0 for ${DEFAULT_AUDIT_PAGE_SIZE}` });
  }
  let afterId: number | undefined;
  if (input.pageToken !== "") {
    afterId = decodeAuditPageToken(deps.keyring, tenant, input.userId, input.pageToken);
    if (afterId === undefined) {
      violations.push({
        field: "page_token",
        description: "must be a next_page_token from a ListAuditEvents call with the same user_id",
      });
    }
  }
  if (violations.length > 0) throw invalidArgument(violations);
  const pageSize = input.pageSize === 0 ? DEFAULT_AUDIT_PAGE_SIZE : input.pageSize;

  // One row more than the page tells whether another page follows. Two
  // statements rather than an OR on the filter, so each uses its index:
  // (tenant_id, id DESC) for the tenant, the primary key for one user.
  const before = afterId ?? Number.MAX_SAFE_INTEGER;
  const columns = "id, user_id, kind, factor_id, at, api_key_id, client_ip, details";
  const r =
    input.userId === ""
      ? await deps.db.query<AuditRow>(
          `SELECT ${columns} FROM audit_events
           WHERE tenant_id = $1::text AND id < $2::bigint
           ORDER BY id DESC LIMIT $3::integer`,
          [tenant, before, pageSize + 1],
        )
      : await deps.db.query<AuditRow>(
          `SELECT ${columns} FROM audit_events
           WHERE tenant_id = $1::text AND user_id = $2::text AND id < $3::bigint
           ORDER BY id DESC LIMIT $4::integer`,
          [tenant, input.userId, before, pageSize + 1],
        );
  // Take rows while both the page size and the response budget allow; always at least one.
  const events: AuditEventRecord[] = [];
  let budget = input.maxResponseBytes - RESPONSE_OVERHEAD_BYTES;
  for (const row of r.rows.slice(0, pageSize)) {
    const event = toRecord(row);
    budget -= auditEventBytesBound(event);
    if (budget < 0 && events.length > 0) break;
    events.push(event);
  }
  const last = events[events.length - 1];
  const more = r.rows.length > events.length;
  const nextPageToken =
    more && last !== undefined ? encodeAuditPageToken(deps.keyring, { tenant, userId: input.userId, afterId: last.id }) : "";
  return { events, nextPageToken };
}
