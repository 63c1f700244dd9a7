import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { invalidArgument, type FieldViolation } from "../errors.js";
import { API_KEY_HASH_PURPOSE, isRole, type ApiKey } from "./api-key.js";
import { insertKeyCte } from "./store.js";
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

/**
 * Creates a key for `tenant` (the CLI's `api-keys create`), in one statement
 * with its audit row (the key id and role only: never the key or its hash).
 * The token in the result is the only copy there will ever be.
 */
export async function createApiKey(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random" | "logger">,
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
  const meta: RequestMeta = { caller: { tenant: input.tenant, keyId, role }, clientIp: "", requestId: "" };
  const s = new Statement();
  s.define("tenant", input.tenant, "text");
  s.define("now", createdAt, "timestamptz");
  s.with("inserted", insertKeyCte(s, { id: keyId, role, name, hash: deps.keyring.keyedHash(API_KEY_HASH_PURPOSE, token) }));
  s.with("audit", auditInsertCte(s, meta, createdAt, [{ kind: "api_key.created", userId: "", details: { role, name } }]));
  const r = await s.run<{ audits: WrittenAuditRow[] | null }>(deps.db, `SELECT (SELECT count(*) FROM inserted) AS n, ${writtenAuditRows("audit")}`);
  logWrittenAudits(deps.logger, meta, r.rows[0]?.audits);
  return { apiKey: { tenant: input.tenant, id: keyId, role, name, createdAt, revokedAt: undefined }, token };
}
