#!/usr/bin/env node
/**
 * `twofold-emulator`: for now it only describes what the emulator can play
 * (profiles and faults); scenario runs (`run …`) arrive with issue 5.
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { FAULT_CATALOGUE } from "./faults.js";
import { FIDO_PROFILES } from "./fido/profiles.js";
import { OTP_PROFILES } from "./oath/profiles.js";

/** The help text, built from the same tables the library uses so it cannot drift. */
export function helpText(): string {
  const lines = [
    "twofold-emulator — software Nitrokey tokens and a WebAuthn browser for tests",
    "",
    "Usage: twofold-emulator --help | profiles | faults",
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

function main(argv: readonly string[]): number {
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
  process.stderr.write(`unknown command: ${command}\n\n${helpText()}`);
  return 2;
}

// Run only as the entry point (npm's bin link is a symlink, hence realpath), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
