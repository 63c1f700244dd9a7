import * as crypto from "node:crypto";
import { duringCall, type AppDeps, type CallDeadline } from "../../app.js";
import { NotifiedCache } from "../../store/notified-cache.js";
import type { Caller } from "../caller.js";
import { API_KEY_HASH_PURPOSE } from "./api-key.js";
import { API_KEY_CHANNEL, selectLiveKeyByHash } from "./store.js";
import { parseApiKeyToken } from "./token.js";

/**
 * The caller a bearer token belongs to, or undefined for a malformed, unknown
 * or revoked key: one indexed lookup by keyed hash, then a constant-time
 * compare. No cache: the CLI and tests use it as it is; the server puts
 * cachedApiKeyAuthenticator in front of it.
 */
export async function authenticateApiKey(deps: Pick<AppDeps, "db" | "keyring">, token: string): Promise<Caller | undefined> {
  const keyId = parseApiKeyToken(token);
  if (keyId === undefined) return undefined;
  const hash = deps.keyring.keyedHash(API_KEY_HASH_PURPOSE, token);
  const row = await selectLiveKeyByHash(deps.db, hash);
  if (row === undefined) return undefined;
  const stored = Buffer.from(row.key_hash);
  if (stored.length !== hash.length || !crypto.timingSafeEqual(stored, hash) || row.id !== keyId) return undefined;
  return { tenant: row.tenant_id, keyId: row.id, role: row.role };
}

/**
 * Looks an API key up, within the deadline of the call it serves (undefined
 * outside any); undefined when unknown or revoked. The shape the transport
 * takes, so it never touches storage.
 */
export type Authenticate = (token: string, deadline?: CallDeadline) => Promise<Caller | undefined>;

/** `authenticateApiKey` bound to its dependencies, in the shape the transport takes. */
export function apiKeyAuthenticator(deps: Pick<AppDeps, "db" | "keyring">): Authenticate {
  return (token, deadline) => authenticateApiKey(duringCall(deps, deadline), token);
}

/** A caching authenticator and the subscription that keeps it honest. */
export interface CachedAuthenticator {
  authenticate: Authenticate;
  close(): Promise<void>;
}

/** Options for cachedApiKeyAuthenticator. */
export interface ApiKeyCacheOptions {
  /** How long a verified key is trusted without asking the database again (a bound, not the revocation path). */
  ttlMs?: number;
  /** Most keys kept; the oldest entry goes first. */
  maxEntries?: number;
  /** Told of every lookup the cache answered (hit) or passed to the database (miss), for metrics. */
  onLookup?(outcome: "hit" | "miss"): void;
}

/**
 * API keys checked without a database round trip in steady state
 * (docs/design.md "Database round trips"). Verified keys are kept for
 * `ttlMs` in a NotifiedCache; a revocation is announced on a NOTIFY channel
 * in the statement that revokes (revokeApiKey), and every replica drops the
 * key when it hears it, so a revocation takes effect everywhere within the
 * notification's delivery time, well under a second. While the LISTEN
 * connection is down every call asks the database.
 */
export async function cachedApiKeyAuthenticator(
  deps: Pick<AppDeps, "db" | "keyring" | "clock">,
  opts: ApiKeyCacheOptions = {},
): Promise<CachedAuthenticator> {
  const cache = await NotifiedCache.open<Caller>(deps.db, API_KEY_CHANNEL, (keyId, _hash, caller) => caller.keyId === keyId, {
    ttlMs: opts.ttlMs ?? 60_000,
    maxEntries: opts.maxEntries ?? 10_000,
    now: () => deps.clock.now().getTime(),
  });
  return {
    async authenticate(token, deadline) {
      if (parseApiKeyToken(token) === undefined) return undefined;
      // The cache's own key: a plain SHA-256 of the token (a 256-bit random secret, so no preimage to find),
      // which costs a third of the keyed HMAC the database lookup needs; the raw token is never kept.
      const hash = sha256Base64(token);
      const hit = cache.get(hash);
      if (hit !== undefined) {
        opts.onLookup?.("hit");
        return hit;
      }
      opts.onLookup?.("miss");
      const mark = cache.mark();
      const caller = await authenticateApiKey(duringCall(deps, deadline), token);
      if (caller !== undefined) cache.set(hash, caller, mark);
      return caller;
    },
    close: () => cache.close(),
  };
}

/** crypto.hash (node 20.12 and later) makes no Hash object; older node takes createHash. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "base64") => string }).hash;
function sha256Base64(data: string): string {
  return oneShot !== undefined ? oneShot("sha256", data, "base64") : crypto.createHash("sha256").update(data).digest("base64");
}
