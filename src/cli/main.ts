#!/usr/bin/env node
import { parseArgs } from "node:util";
import type { Logger } from "pino";
import type { AppDeps } from "../app.js";
import { DomainError } from "../domain/errors.js";
import { createLogger } from "../log.js";
import { EXIT_USAGE, UsageError, loadConfigOrExit, openPlatform } from "./boot.js";
import { helpText } from "./help.js";

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * The `twofold` command. Everything but `serve` logs to stderr only, so
 * stdout carries just the command's answer (the new API key on the last line).
 */
async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      tenant: { type: "string" },
      role: { type: "string" },
      name: { type: "string" },
      id: { type: "string" },
      "dry-run": { type: "boolean" },
      activate: { type: "boolean" },
      "pre-shared-key": { type: "string" },
      root: { type: "string" },
      disable: { type: "string" },
      "totp-algorithms": { type: "string" },
      "totp-digits": { type: "string" },
      "totp-hardware-only": { type: "boolean" },
      "app-password-max-lifetime": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, action] = positionals;
  if (values.help === true || command === undefined || command === "help") {
    process.stdout.write(helpText());
    return command === undefined && values.help !== true ? EXIT_USAGE : 0;
  }

  if (command === "keys" && action === "generate") {
    const { generateKeyLine } = await import("./keys.js");
    print(generateKeyLine(new Date(), values.id));
    return 0;
  }

  const config = loadConfigOrExit(env);
  if (command === "serve") {
    const logger = createLogger(config, 1, true);
    const { serve } = await import("./serve.js");
    await serve(config, logger, env);
    return -1; // keeps running until a signal
  }

  // Check the whole command line before opening the database.
  let run: (deps: AppDeps, migrations: string[]) => Promise<number>;
  if (command === "migrate") {
    run = async (_, migrations) => {
      print(migrations.length === 0 ? "no migrations to apply" : `applied: ${migrations.join(", ")}`);
      return 0;
    };
  } else if (command === "api-keys") {
    const { parseApiKeysCommand, runApiKeysCommand } = await import("./api-keys.js");
    const cmd = parseApiKeysCommand(action, values);
    run = async (deps) => {
      await runApiKeysCommand(deps, cmd, print);
      return 0;
    };
  } else if (command === "import") {
    const { parseImportPskcCommand, runImportPskcCommand } = await import("./import-pskc.js");
    const cmd = await parseImportPskcCommand(action, positionals[2], values);
    run = async (deps) => {
      await runImportPskcCommand(deps, cmd, print);
      return 0;
    };
  } else if (command === "mds") {
    const { parseMdsCommand, runMdsImportCommand } = await import("./mds.js");
    const cmd = await parseMdsCommand(action, positionals[2], values);
    run = async (deps) => {
      await runMdsImportCommand(deps, cmd, print);
      return 0;
    };
  } else if (command === "provider-policy") {
    const { parseProviderPolicyCommand, runProviderPolicyCommand } = await import("./provider-policy.js");
    const cmd = parseProviderPolicyCommand(action, values);
    run = async (deps) => {
      await runProviderPolicyCommand(deps, cmd, print);
      return 0;
    };
  } else if (command === "keys" && action === "rotate") {
    const { rotateCommand } = await import("./keys.js");
    run = async (deps) => ((await rotateCommand(deps, print)) ? 0 : 1);
  } else if (command === "keys") {
    throw new UsageError("keys needs one of: generate, rotate");
  } else {
    throw new UsageError(`unknown command ${command}`);
  }

  const logger: Logger = createLogger({ logLevel: config.logLevel === "info" ? "warn" : config.logLevel }, 2);
  const { deps, migrations } = await openPlatform(config, logger, env);
  try {
    return await run(deps, migrations);
  } finally {
    await deps.db.close();
  }
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`twofold: ${err.message}\nRun twofold --help for usage.\n`);
      process.exitCode = EXIT_USAGE;
    } else if (err instanceof DomainError) {
      const fields = err.details.violations?.map((v) => `  ${v.field}: ${v.description}`) ?? [];
      process.stderr.write(`twofold: ${err.message}\n${fields.join("\n")}${fields.length > 0 ? "\n" : ""}`);
      process.exitCode = err.kind === "invalid_argument" ? EXIT_USAGE : 1;
    } else {
      // A failure of ours (database down, damaged file): say what, without secrets.
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`twofold: ${message}\n`);
      process.exitCode = 1;
    }
  },
);
