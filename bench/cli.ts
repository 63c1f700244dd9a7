#!/usr/bin/env node
/**
 * `twofold-bench`: the benchmark harness. Each subcommand prints a table,
 * writes a JSON report with `--json FILE` (and HTML with `--html FILE`),
 * shows a progress bar with an ETA only when stdout is a terminal, and has
 * a `--smoke` mode of a few seconds for CI.
 */
import { UsageError } from "./common/options.js";

const USAGE = `twofold-bench <command> [options]

  load        logins against a live service (emulated devices), with the transport
              and database ceilings measured in the same run
  core        verifications per second of the verification core, interleaved,
              beside otplib, bare HMACs and @simplewebauthn/server
  timing      dudect-style constant-time test of the core, with a positive control
  transport   twofold's gRPC path vs bare @grpc/grpc-js vs connect-node, under h2load
  statements  Postgres instructions per login call (callgrind), beside a compare-and-set

Every command takes --json FILE, --html FILE (load, core, timing), --smoke,
--no-progress and --help.
`;

type Command = (argv: string[], env: NodeJS.ProcessEnv) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  load: async () => (await import("./load/command.js")).loadCommand,
  core: async () => (await import("./core/command.js")).coreCommand,
  timing: async () => (await import("./timing/command.js")).timingCommand,
  transport: async () => (await import("./transport/command.js")).transportCommand,
  statements: async () => (await import("./statements/command.js")).statementsCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (load === undefined) throw new UsageError(`unknown command ${name}`);
  return (await load())(rest, process.env);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`twofold-bench: ${err.message}\nRun twofold-bench --help for usage.\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`twofold-bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
