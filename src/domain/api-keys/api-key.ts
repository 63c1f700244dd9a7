import type { Role } from "../caller.js";

/** An API key as listed: never its secret or hash. */
export interface ApiKey {
  tenant: string;
  id: string;
  role: Role;
  name: string;
  createdAt: Date;
  revokedAt: Date | undefined;
}

/** The purpose string for the keyed hash of API keys (domain separation in the keyring). */
export const API_KEY_HASH_PURPOSE = "api-key";

/** Narrows caller input to a role before it reaches the database CHECK. */
export function isRole(role: string): role is Role {
  return role === "service" || role === "admin";
}

/** The api_keys columns listing needs (never key_hash). */
export interface ApiKeyRow {
  tenant_id: string;
  id: string;
  role: Role;
  name: string;
  created_at: Date;
  revoked_at: Date | null;
}

/** Row to domain shape, with SQL NULL as undefined. */
export function apiKeyFromRow(r: ApiKeyRow): ApiKey {
  return {
    tenant: r.tenant_id,
    id: r.id,
    role: r.role,
    name: r.name,
    createdAt: r.created_at,
    revokedAt: r.revoked_at ?? undefined,
  };
}
