import { timingSafeEqual } from "node:crypto";
import type { Keyring } from "../../crypto/keyring.js";

/** Keyed-hash purpose for app password page tokens, so the MAC cannot stand in for any other hash. */
const PAGE_TOKEN_PURPOSE = "twofold/app-password-page-token/v1";
const MAC_BYTES = 16;
const UUID_HEX = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Far more than any token we issue; anything longer is refused before parsing. */
export const MAX_PAGE_TOKEN_CHARS = 128;

/** Where a page stopped: the last app password's creation time and id (the listing's sort key). */
export interface AppPasswordCursor {
  createdAtMs: number;
  id: string;
}

function mac(keyring: Keyring, tenant: string, userId: string, c: AppPasswordCursor): Buffer {
  return keyring.keyedHash(PAGE_TOKEN_PURPOSE, JSON.stringify([tenant, userId, c.createdAtMs, c.id])).subarray(0, MAC_BYTES);
}

/**
 * An opaque base64url token: the cursor and a MAC over (tenant, user, cursor)
 * under the server pepper, like the audit listing's tokens. The MAC binds the
 * token to its listing, so another user's token or an edited one is refused
 * rather than silently continuing some other listing.
 */
export function encodeAppPasswordPageToken(keyring: Keyring, tenant: string, userId: string, c: AppPasswordCursor): string {
  const at = Buffer.alloc(8);
  at.writeBigInt64BE(BigInt(c.createdAtMs));
  const id = Buffer.from(c.id.replace(/-/g, ""), "hex");
  return Buffer.concat([at, id, mac(keyring, tenant, userId, c)]).toString("base64url");
}

/** The cursor a token continues after, or undefined when it is not a token we issued for this user. */
export function decodeAppPasswordPageToken(keyring: Keyring, tenant: string, userId: string, token: string): AppPasswordCursor | undefined {
  if (token.length > MAX_PAGE_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const raw = Buffer.from(token, "base64url");
  if (raw.length !== 8 + 16 + MAC_BYTES) return undefined;
  const at = raw.readBigInt64BE(0);
  if (at > BigInt(Number.MAX_SAFE_INTEGER) || at < BigInt(Number.MIN_SAFE_INTEGER)) return undefined;
  const hex = raw.subarray(8, 24).toString("hex");
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const cursor = { createdAtMs: Number(at), id };
  if (!UUID_HEX.test(id)) return undefined;
  return timingSafeEqual(mac(keyring, tenant, userId, cursor), raw.subarray(24)) ? cursor : undefined;
}
