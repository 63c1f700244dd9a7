import { readFile } from "node:fs/promises";
import type { AppDeps } from "../app.js";
import { isValidTenant } from "../domain/api-keys/index.js";
import type { RequestMeta } from "../domain/caller.js";
import { importPskc, MAX_PSKC_BYTES } from "../domain/otp/index.js";
import type { Print } from "./api-keys.js";
import { UsageError } from "./boot.js";

/** The flags `import pskc` reads, as parseArgs returns them. */
export interface ImportPskcArgs {
  tenant?: string | undefined;
  "dry-run"?: boolean | undefined;
  activate?: boolean | undefined;
  "pre-shared-key"?: string | undefined;
}

/** A checked `import pskc` command line, with the file already read. */
export interface ImportPskcCommand {
  file: string;
  source: string;
  tenant: string;
  dryRun: boolean;
  activate: boolean;
  preSharedKey: Buffer | undefined;
}

/**
 * Checks `twofold import pskc FILE --tenant T [--dry-run] [--activate]
 * [--pre-shared-key HEX]` and reads the file, before the database is opened.
 * The key is hex of an AES key (16, 24 or 32 bytes); it is never echoed.
 */
export async function parseImportPskcCommand(action: string | undefined, file: string | undefined, args: ImportPskcArgs): Promise<ImportPskcCommand> {
  if (action !== "pskc") throw new UsageError("import needs: pskc FILE --tenant T");
  if (file === undefined || file === "") throw new UsageError("import pskc needs a FILE");
  const tenant = args.tenant ?? "";
  if (!isValidTenant(tenant)) throw new UsageError("--tenant must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'");
  let preSharedKey: Buffer | undefined;
  const hex = args["pre-shared-key"];
  if (hex !== undefined) {
    if (!/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{48}|[0-9a-fA-F]{64})$/.test(hex)) {
      throw new UsageError("--pre-shared-key must be 32, 48 or 64 hex digits (an AES-128, -192 or -256 key)");
    }
    preSharedKey = Buffer.from(hex, "hex");
  }
  let source: string;
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_PSKC_BYTES) throw new UsageError(`${file} is too large for a key container`);
    source = bytes.toString("utf8");
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${file}`);
  }
  return { file, source, tenant, dryRun: args["dry-run"] === true, activate: args.activate === true, preSharedKey };
}

/**
 * `twofold import pskc`: creates the factors a vendor's key container names
 * (or, with --dry-run, says what it would create). Prints one line per token
 * — user, kind, digits, serial, profile — and never a secret.
 */
export async function runImportPskcCommand(deps: AppDeps, cmd: ImportPskcCommand, print: Print): Promise<void> {
  const meta: RequestMeta = { caller: { tenant: cmd.tenant, keyId: "cli", role: "admin" }, clientIp: "", requestId: "cli-import-pskc" };
  try {
    const tokens = await importPskc(deps, meta, {
      tenant: cmd.tenant,
      source: cmd.source,
      preSharedKey: cmd.preSharedKey,
      dryRun: cmd.dryRun,
      activate: cmd.activate,
    });
    const verb = cmd.dryRun ? "would import" : "imported";
    for (const t of tokens) {
      const fields = [
        `user=${JSON.stringify(t.userId)}`,
        `kind=${t.kind}`,
        `digits=${t.digits}`,
        `serial=${JSON.stringify(t.serialNo)}`,
        `profile=${t.tokenProfile}`,
        `key=${JSON.stringify(t.keyId)}`,
        ...(cmd.dryRun ? [] : [`factor=${t.factorId}`]),
      ];
      print(`${verb} ${fields.join(" ")}`);
    }
    const state = cmd.activate ? "active" : "pending";
    print(cmd.dryRun ? `dry run: ${tokens.length} tokens would be imported as ${state} factors; nothing written` : `${tokens.length} ${state} factors imported for tenant ${cmd.tenant}`);
  } finally {
    cmd.preSharedKey?.fill(0);
  }
}
