import { timingSafeEqual } from "node:crypto";
import type { Keyring } from "../../crypto/keyring.js";
import type { AuditPageCursor } from "../audit/index.js";

/** Keyed-hash purpose for page tokens, so a token's MAC cannot be replayed as any other hash. */
const PAGE_TOKEN_PURPOSE = "twofold/audit-page-token/v2";
const MAC_BYTES = 16;
/** Far more than any token we issue; anything longer is refused before parsing. */
export const MAX_PAGE_TOKEN_CHARS = 128;

function mac(keyring: Keyring, tenant: string, userId: string, c: AuditPageCursor): Buffer {
  return keyring.keyedHash(PAGE_TOKEN_PURPOSE, JSON.stringify([tenant, userId, c.txId, c.id])).subarray(0, MAC_BYTES);
}

/**
 * An opaque base64url token: where the listing stopped, in commit order (the
 * writing transaction's id and the event id), and a MAC over (tenant, user
 * filter, cursor) under the server pepper. The MAC binds the token to its
 * listing, so a token from another filter or tenant, or an edited cursor, is
 * refused rather than silently continuing some other listing.
 */
export function encodeAuditPageToken(keyring: Keyring, tenant: string, userId: string, c: AuditPageCursor): string {
  const raw = Buffer.alloc(16);
  raw.writeBigUInt64BE(BigInt(c.txId), 0);
  raw.writeBigUInt64BE(BigInt(c.id), 8);
  return Buffer.concat([raw, mac(keyring, tenant, userId, c)]).toString("base64url");
}

/** The cursor a token continues after, or undefined when the token is not one we issued for this listing. */
export function decodeAuditPageToken(keyring: Keyring, tenant: string, userId: string, token: string): AuditPageCursor | undefined {
  if (token.length > MAX_PAGE_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const raw = Buffer.from(token, "base64url");
  if (raw.length !== 16 + MAC_BYTES) return undefined;
  const id = raw.readBigUInt64BE(8);
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const cursor: AuditPageCursor = { txId: raw.readBigUInt64BE(0).toString(), id: Number(id) };
  const expected = mac(keyring, tenant, userId, cursor);
  return timingSafeEqual(expected, raw.subarray(16)) ? cursor : undefined;
}
