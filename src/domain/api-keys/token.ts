import type { Random } from "../random.js";

/**
 * API key format: `tf_<key id: 16 hex>_<secret: 43 chars base64url of 32 random bytes>`.
 * The key id is public (listed, logged, audited); the whole token is secret.
 */
const TOKEN = /^tf_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A new key: its public id and the full secret token. */
export interface ApiKeyToken {
  keyId: string;
  token: string;
}

/** A fresh key id and the full token that embeds it. */
export function newApiKeyToken(random: Random): ApiKeyToken {
  const keyId = random.bytes(8).toString("hex");
  const secret = random.bytes(32).toString("base64url");
  return { keyId, token: `tf_${keyId}_${secret}` };
}

/** The key id of a well-formed token, else undefined (no lookup for garbage). */
export function parseApiKeyToken(token: string): string | undefined {
  const m = TOKEN.exec(token);
  return m?.[1];
}
