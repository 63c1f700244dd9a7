import type { AppDeps } from "../app.js";
import { createApiKey, listApiKeys, revokeApiKey } from "../domain/api-keys/index.js";
import { UsageError } from "./boot.js";

/** Output sink, so tests and main share one code path. */
export type Print = (line: string) => void;

export interface ApiKeyArgs {
  tenant?: string;
  role?: string;
  name?: string;
  id?: string;
}

function need(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new UsageError(`missing --${flag}`);
  return value;
}

/**
 * `twofold api-keys create|list|revoke`. `create` prints the key alone on the
 * last line of stdout, so scripts can take `| tail -n 1`.
 */
export async function apiKeysCommand(deps: AppDeps, action: string | undefined, args: ApiKeyArgs, print: Print): Promise<void> {
  switch (action) {
    case "create": {
      const created = await createApiKey(deps, {
        tenant: need(args.tenant, "tenant"),
        role: need(args.role, "role"),
        name: args.name ?? "",
      });
      const k = created.apiKey;
      print(`created API key ${k.id} for tenant ${k.tenant} with role ${k.role}; it is shown only now:`);
      print(created.token);
      return;
    }
    case "list": {
      const keys = await listApiKeys(deps, need(args.tenant, "tenant"));
      print(["id", "role", "created", "revoked", "name"].join("\t"));
      for (const k of keys) {
        print([k.id, k.role, k.createdAt.toISOString(), k.revokedAt?.toISOString() ?? "-", k.name].join("\t"));
      }
      return;
    }
    case "revoke": {
      const tenant = need(args.tenant, "tenant");
      const id = need(args.id, "id");
      const now = await revokeApiKey(deps, tenant, id);
      print(now ? `revoked API key ${id} of tenant ${tenant}` : `API key ${id} of tenant ${tenant} was already revoked`);
      return;
    }
    default:
      throw new UsageError("api-keys needs one of: create, list, revoke");
  }
}
