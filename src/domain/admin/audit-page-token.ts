import { timingSafeEqual } from "node:crypto";
import type { Keyring } from "../../crypto/keyring.js";

/** Keyed-hash purpose for page tokens, so a token's MAC cannot be replayed as any other hash. */
const PAGE_TOKEN_PURPOSE = "twofold/audit-page-token/v1";
const MAC_BYTES = 16;
/** Far more than any token we issue; anything longer is refused before parsing. */
export const MAX_PAGE_TOKEN_CHARS = 128;

/** What a page token binds: the listing it continues and where it stopped. */
export interface AuditCursor {
  tenant: string;
  /** The user filter of the listing (empty: every user). */
  userId: string;
  /** The id of the last event on the previous page; the next page starts below it. */
  afterId: number;
}

function mac(keyring: Keyring, c: AuditCursor): Buffer {
  return keyring.keyedHash(PAGE_TOKEN_PURPOSE, JSON.stringify([c.tenant, c.userId, c.afterId])).subarray(0, MAC_BYTES);
}

/**
 * An opaque base64url token: the last id and a MAC over (tenant, user filter,
 * id) under the server pepper. The MAC binds the token to its listing, so a
 * token from another filter or tenant, or an edited id, is refused rather than
 * silently continuing some other listing.
 */
export function encodeAuditPageToken(keyring: Keyring, c: AuditCursor): string {
  const id = Buffer.alloc(8);
  id.writeBigUInt64BE(BigInt(c.afterId));
  return Buffer.concat([id, mac(keyring, c)]).toString("base64url");
}

/** The id a token continues after, or undefined when the token is not one we issued for this listing. */
export function decodeAuditPageToken(keyring: Keyring, tenant: string, userId: string, token: string): number | undefined {
  if (token.length > MAX_PAGE_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const raw = Buffer.from(token, "base64url");
  if (raw.length !== 8 + MAC_BYTES) return undefined;
  const id = raw.readBigUInt64BE(0);
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const afterId = Number(id);
  const expected = mac(keyring, { tenant, userId, afterId });
  return timingSafeEqual(expected, raw.subarray(8)) ? afterId : undefined;
}
