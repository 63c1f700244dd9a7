import type { AppDeps } from "../app.js";
import { createApiKey, listApiKeys, revokeApiKey } from "../domain/api-keys/index.js";
import { UsageError } from "./boot.js";

/** Output sink, so tests and main share one code path. */
export type Print = (line: string) => void;

/** The flags `api-keys` reads, as parseArgs returns them. */
export interface ApiKeyArgs {
  tenant?: string | undefined;
  role?: string | undefined;
  name?: string | undefined;
  id?: string | undefined;
}

/** A checked `api-keys` command line, ready to run. */
export type ApiKeysCommand =
  | { action: "create"; tenant: string; role: string; name: string }
  | { action: "list"; tenant: string }
  | { action: "revoke"; tenant: string; id: string };

function need(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new UsageError(`missing --${flag}`);
  return value;
}

/** Checks the command line before anything opens the database. */
export function parseApiKeysCommand(action: string | undefined, args: ApiKeyArgs): ApiKeysCommand {
  switch (action) {
    case "create":
      return { action, tenant: need(args.tenant, "tenant"), role: need(args.role, "role"), name: args.name ?? "" };
    case "list":
      return { action, tenant: need(args.tenant, "tenant") };
    case "revoke":
      return { action, tenant: need(args.tenant, "tenant"), id: need(args.id, "id") };
    default:
      throw new UsageError("api-keys needs one of: create, list, revoke");
  }
}

/**
 * `twofold api-keys create|list|revoke`. `create` prints the key alone on the
 * last line of stdout, so scripts can take `| tail -n 1`.
 */
export async function runApiKeysCommand(deps: AppDeps, cmd: ApiKeysCommand, print: Print): Promise<void> {
  switch (cmd.action) {
    case "create": {
      const created = await createApiKey(deps, cmd);
      const k = created.apiKey;
      print(`created API key ${k.id} for tenant ${k.tenant} with role ${k.role}; it is shown only now:`);
      print(created.token);
      return;
    }
    case "list": {
      const keys = await listApiKeys(deps, cmd.tenant);
      print(["id", "role", "created", "revoked", "name"].join("\t"));
      for (const k of keys) {
        print([k.id, k.role, k.createdAt.toISOString(), k.revokedAt?.toISOString() ?? "-", k.name].join("\t"));
      }
      return;
    }
    case "revoke": {
      const now = await revokeApiKey(deps, cmd.tenant, cmd.id);
      print(
        now
          ? `revoked API key ${cmd.id} of tenant ${cmd.tenant}`
          : `API key ${cmd.id} of tenant ${cmd.tenant} was already revoked`,
      );
      return;
    }
  }
}
