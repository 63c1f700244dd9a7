import { timingSafeEqual } from "node:crypto";
import type { AppDeps } from "../../app.js";
import type { Caller, Role } from "../caller.js";
import { API_KEY_HASH_PURPOSE } from "./api-key.js";
import { parseApiKeyToken } from "./token.js";

/**
 * The caller a bearer token belongs to, or undefined for a malformed, unknown
 * or revoked key. One indexed lookup by keyed hash, then a constant-time
 * compare; no cache, so a revocation applies to the very next request.
 */
export async function authenticateApiKey(
  deps: Pick<AppDeps, "db" | "keyring">,
  token: string,
): Promise<Caller | undefined> {
  const keyId = parseApiKeyToken(token);
  if (keyId === undefined) return undefined;
  const hash = deps.keyring.keyedHash(API_KEY_HASH_PURPOSE, token);
  const r = await deps.db.query<{ tenant_id: string; id: string; role: Role; key_hash: Buffer }>(
    "SELECT tenant_id, id, role, key_hash FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    [hash],
  );
  const row = r.rows[0];
  if (row === undefined) return undefined;
  const stored = Buffer.from(row.key_hash);
  if (stored.length !== hash.length || !timingSafeEqual(stored, hash) || row.id !== keyId) return undefined;
  return { tenant: row.tenant_id, keyId: row.id, role: row.role };
}

/** `authenticateApiKey` bound to its dependencies, in the shape the transport takes. */
export function apiKeyAuthenticator(
  deps: Pick<AppDeps, "db" | "keyring">,
): (token: string) => Promise<Caller | undefined> {
  return (token) => authenticateApiKey(deps, token);
}
