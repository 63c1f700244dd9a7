#!/usr/bin/env node
/**
 * `twofold-emulator`: describes what the emulator can play (profiles,
 * faults, scenarios) and runs scenarios against a live service (`run`).
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { FAULT_CATALOGUE } from "./faults.js";
import { FIDO_PROFILES } from "./fido/profiles.js";
import { OTP_PROFILES } from "./oath/profiles.js";
import { SCENARIOS } from "./scenarios/catalogue.js";
import { RUN_USAGE, runCommand } from "./scenarios/run-command.js";
import { DEFAULT_ORIGIN, DEFAULT_SCENARIO_TIMEOUT_MS } from "./scenarios/runner.js";

/** Wraps `text` to `width` columns, every line indented by `indent`. */
function wrap(text: string, indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(indent + line);
  return lines;
}

/** The help text, built from the same tables the library uses so it cannot drift. */
export function helpText(): string {
  const lines = [
    "twofold-emulator — software Nitrokey tokens and a WebAuthn browser for tests",
    "",
    "Usage: twofold-emulator --help | profiles | faults",
    `       ${RUN_USAGE}`,
    "",
    "run plays scenarios against a live twofold service (gRPC, Connect and gRPC-Web on one address; this client",
    "speaks Connect) and prints a table: scenario | result | duration | detail. Every scenario uses a fresh random",
    "user id. Exit code 0 when all passed, 1 when any failed, 2 on bad usage.",
    "  --target HOST:PORT      the service (or http://HOST:PORT)",
    "  --api-key KEY           sent as 'authorization: Bearer KEY' (or set TWOFOLD_API_KEY); never printed",
    "  --scenario NAME…        one or more names (repeatable, comma-separated too); default all, in the order below",
    "  --report FILE           FILE.json: { target, startedAt, results: [{ name, status, durationMs, error? }] }",
    "                          FILE.xml: JUnit XML (testsuite twofold-emulator, one testcase per scenario)",
    `  --origin URL            page origin for WebAuthn; default the tenant's relying party (admin keys), else ${DEFAULT_ORIGIN}`,
    "  --http 2|1.1            HTTP version (default 2)",
    `  --timeout SECONDS       per scenario (default ${DEFAULT_SCENARIO_TIMEOUT_MS / 1000})`,
    "",
    "Scenarios:",
    ...SCENARIOS.flatMap((s) => [`  ${s.name}`, ...wrap(s.description, "      ")]),
    "",
    "OATH tokens (HOTP 3 slots, TOTP 15 slots, HMAC-SHA1, host-set time, user/admin PIN):",
    ...Object.values(OTP_PROFILES).map((p) => `  ${p.id.padEnd(30)} ${p.model} ${p.firmware}, secrets ≤ ${p.maxSecretBytes} bytes`),
    "",
    "FIDO2 authenticators (CTAP2, packed attestation):",
    ...Object.values(FIDO_PROFILES).map(
      (p) => `  ${p.id.padEnd(30)} ${p.name}, AAGUID ${p.aaguid}, counter ${p.counterMode}, ${p.residentKeyCapacity} resident keys`,
    ),
    "  nitrokey-fido-u2f              Nitrokey FIDO U2F (CTAP1 raw messages, fido-u2f attestation)",
    "",
    "Faults (name or name=value):",
    ...FAULT_CATALOGUE.map((f) => `  ${f.name.padEnd(24)} [${f.target}] ${f.description}`),
  ];
  return `${lines.join("\n")}\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const command = argv[0] ?? "--help";
  if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(helpText());
    return 0;
  }
  if (command === "profiles") {
    process.stdout.write(`${JSON.stringify({ otp: OTP_PROFILES, fido2: FIDO_PROFILES }, null, 2)}\n`);
    return 0;
  }
  if (command === "faults") {
    process.stdout.write(`${JSON.stringify(FAULT_CATALOGUE, null, 2)}\n`);
    return 0;
  }
  if (command === "run") {
    return runCommand(argv.slice(1), {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      env: process.env,
    });
  }
  process.stderr.write(`unknown command: ${command}\n\n${helpText()}`);
  return 2;
}

// Run only as the entry point (npm's bin link is a symlink, hence realpath), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`twofold-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
