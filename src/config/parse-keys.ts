import type { KeyringKey } from "./config.js";

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Strict base64 (or base64url) of exactly `bytes` bytes, else undefined. */
export function decodeKeyBytes(text: string, bytes: number): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const b = Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  return b.length === bytes ? b : undefined;
}

/**
 * `id1:base64key,id2:base64key`, newest first. Errors never quote the key
 * material, only the position and id.
 */
export function parseKeys(value: string): KeyringKey[] | string {
  const keys: KeyringKey[] = [];
  const parts = value.split(",").map((p) => p.trim());
  for (const [i, part] of parts.entries()) {
    const colon = part.indexOf(":");
    const id = colon < 0 ? "" : part.slice(0, colon);
    if (!KEY_ID.test(id)) return `entry ${i + 1} must be <id>:<base64 of 32 bytes> with an id of 1-64 [A-Za-z0-9._-]`;
    const key = decodeKeyBytes(part.slice(colon + 1), 32);
    if (key === undefined) return `key ${id} must be base64 of exactly 32 bytes`;
    if (keys.some((k) => k.id === id)) return `key id ${id} appears twice`;
    keys.push({ id, key });
  }
  return keys;
}
