import type { AppDeps } from "../../app.js";
import { selectAuditPage, type AuditEvent, type AuditPageCursor } from "../audit/index.js";
import { invalidArgument } from "../errors.js";
import { decodeAuditPageToken, encodeAuditPageToken } from "./audit-page-token.js";

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
  /** 1..MAX_AUDIT_PAGE_SIZE (validated upstream; 0 there means DEFAULT_AUDIT_PAGE_SIZE). */
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

/** Details are written as JSON by several modules; show every value as text. */
function detailStrings(details: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(details)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

function toRecord(e: AuditEvent): AuditEventRecord {
  return {
    id: e.id,
    userId: e.userId,
    kind: e.kind,
    factorId: e.factorId,
    at: e.at,
    apiKeyId: e.apiKeyId,
    clientIp: e.clientIp,
    details: detailStrings(e.details),
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
 * A page of the tenant's audit events, newest first in commit order. Keyset
 * pagination on (writing transaction, id), never OFFSET, bounded on the first
 * page by the oldest transaction still running (selectAuditPage): an event
 * whose transaction commits late can never fall behind the cursor, so a
 * listing paged to its end has neither a duplicate nor a gap. A page holds at
 * most page_size events, fewer when the response would otherwise outgrow
 * `maxResponseBytes`.
 */
export async function listAuditEvents(
  deps: Pick<AppDeps, "db" | "keyring">,
  tenant: string,
  input: ListAuditEventsInput,
): Promise<AuditEventPage> {
  let after: AuditPageCursor | undefined;
  if (input.pageToken !== "") {
    after = decodeAuditPageToken(deps.keyring, tenant, input.userId, input.pageToken);
    if (after === undefined) {
      throw invalidArgument([{ field: "page_token", description: "must be a next_page_token from a ListAuditEvents call with the same user_id" }]);
    }
  }
  // One row more than the page tells whether another page follows.
  const rows = await selectAuditPage(deps.db, tenant, input.userId, after, input.pageSize + 1);
  // Take rows while both the page size and the response budget allow; always at least one.
  const events: AuditEventRecord[] = [];
  const taken: AuditEvent[] = [];
  let budget = input.maxResponseBytes - RESPONSE_OVERHEAD_BYTES;
  for (const row of rows.slice(0, input.pageSize)) {
    const event = toRecord(row);
    budget -= auditEventBytesBound(event);
    if (budget < 0 && events.length > 0) break;
    events.push(event);
    taken.push(row);
  }
  const last = taken[taken.length - 1];
  const more = rows.length > events.length;
  const nextPageToken = more && last !== undefined ? encodeAuditPageToken(deps.keyring, tenant, input.userId, { txId: last.txId, id: last.id }) : "";
  return { events, nextPageToken };
}
