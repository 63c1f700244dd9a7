import { readFile, rename, writeFile } from "node:fs/promises";
import type { AuthenticatorFaults } from "../faults.js";
import type { RandomBytes } from "../runtime.js";
import { U2fToken, type U2fTokenState } from "../u2f/u2f-token.js";
import type { AttestationCa } from "./attestation-ca.js";
import { Fido2Authenticator, type Fido2AuthenticatorState } from "./authenticator.js";

/**
 * Saves a FIDO2 or U2F device as JSON (mode 0600, written then renamed), so
 * a scenario can register in one run and log in in the next. The file holds
 * the device's test keys; it is a test fixture, never a real token's secret.
 */
export async function saveFidoDevice(device: Fido2Authenticator | U2fToken, path: string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, `${JSON.stringify(device.exportState(), null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

/** Loads a device saved by {@link saveFidoDevice}; the CA is the one its batch certificate chains to. */
export async function loadFidoDevice(
  path: string,
  options: { ca: AttestationCa; random?: RandomBytes; faults?: AuthenticatorFaults },
): Promise<Fido2Authenticator | U2fToken> {
  const state = JSON.parse(await readFile(path, "utf8")) as { format?: unknown };
  if (state.format === "twofold-u2f-token") return U2fToken.restore(state as U2fTokenState, options);
  return Fido2Authenticator.restore(state as Fido2AuthenticatorState, options);
}
