import type { AppDeps } from "../../app.js";
import { invalidArgument, type FieldViolation } from "../errors.js";
import { auditApiKey } from "./audit.js";
import { API_KEY_HASH_PURPOSE, isRole, type ApiKey } from "./api-key.js";
import { isValidTenant } from "./tenant.js";
import { newApiKeyToken } from "./token.js";

export interface CreateApiKeyInput {
  tenant: string;
  role: string;
  name?: string;
}

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The full key, shown once: only its keyed hash is stored. */
  token: string;
}

const MAX_NAME = 128;

/** Creates a key for `tenant`; the token in the result is the only copy there will ever be. */
export async function createApiKey(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random">,
  input: CreateApiKeyInput,
): Promise<CreatedApiKey> {
  const name = input.name ?? "";
  const violations: FieldViolation[] = [];
  if (!isValidTenant(input.tenant)) {
    violations.push({ field: "tenant", description: "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'" });
  }
  if (!isRole(input.role)) violations.push({ field: "role", description: "must be service or admin" });
  if (name.length > MAX_NAME || /[\p{Cc}]/u.test(name)) {
    violations.push({ field: "name", description: `at most ${MAX_NAME} characters, no control characters` });
  }
  if (violations.length > 0) throw invalidArgument(violations);
  const role = input.role as ApiKey["role"];

  const { keyId, token } = newApiKeyToken(deps.random);
  const createdAt = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO api_keys (tenant_id, id, role, name, key_hash, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [input.tenant, keyId, role, name, deps.keyring.keyedHash(API_KEY_HASH_PURPOSE, token), createdAt],
    );
    await auditApiKey(tx, "api_key.created", input.tenant, keyId, createdAt, { role, name });
  });
  return {
    apiKey: { tenant: input.tenant, id: keyId, role, name, createdAt, revokedAt: undefined },
    token,
  };
}
