import { readFile, rename, writeFile } from "node:fs/promises";
import type { OtpFaults } from "../faults.js";
import type { EmulatorClock } from "../runtime.js";
import { NitrokeyOtpDevice, type OtpDeviceState } from "./nitrokey-otp.js";
import { OTP_PROFILES } from "./profiles.js";

/**
 * Saves a token's persistent state as JSON, so a scenario can enrol a token
 * in one run and log in with it in the next. Written to a temporary file and
 * renamed, so a crash never leaves half a token.
 */
export async function saveOtpDevice(device: NitrokeyOtpDevice, path: string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, `${JSON.stringify(device.snapshot(), null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

/** Loads a token saved by {@link saveOtpDevice}, checking the file is one. */
export async function loadOtpDevice(
  path: string,
  options: { clock?: EmulatorClock; faults?: OtpFaults } = {},
): Promise<NitrokeyOtpDevice> {
  const state = parseOtpDeviceState(await readFile(path, "utf8"));
  return new NitrokeyOtpDevice({ ...options, state });
}

/** Validates the JSON of a state file; throws a TypeError naming the bad field. */
export function parseOtpDeviceState(json: string): OtpDeviceState {
  const value: unknown = JSON.parse(json);
  if (typeof value !== "object" || value === null) throw new TypeError("state file is not an object");
  const v = value as Record<string, unknown>;
  if (v["format"] !== "twofold-nitrokey-otp" || v["version"] !== 1) throw new TypeError("state file format/version");
  const profile = v["profile"];
  if (typeof profile !== "string" || !(profile in OTP_PROFILES)) throw new TypeError("state file profile");
  for (const key of ["userPin", "adminPin"]) {
    if (typeof v[key] !== "string") throw new TypeError(`state file ${key}`);
  }
  for (const key of ["userRetries", "adminRetries", "deviceTime"]) {
    if (!Number.isInteger(v[key])) throw new TypeError(`state file ${key}`);
  }
  if (typeof v["otpRequiresUserPin"] !== "boolean") throw new TypeError("state file otpRequiresUserPin");
  const p = OTP_PROFILES[profile as keyof typeof OTP_PROFILES];
  checkSlots(v["hotp"], p.hotpSlots, "hotp");
  checkSlots(v["totp"], p.totpSlots, "totp");
  return value as OtpDeviceState;
}

function checkSlots(slots: unknown, count: number, field: string): void {
  if (!Array.isArray(slots) || slots.length !== count) throw new TypeError(`state file ${field}`);
  slots.forEach((slot: unknown, i) => {
    if (slot === null) return;
    if (typeof slot !== "object") throw new TypeError(`state file ${field}[${i}]`);
    const s = slot as Record<string, unknown>;
    if (typeof s["name"] !== "string" || typeof s["secretHex"] !== "string" || (s["digits"] !== 6 && s["digits"] !== 8)) {
      throw new TypeError(`state file ${field}[${i}]`);
    }
    if (field === "hotp" && (typeof s["counter"] !== "string" || !/^\d+$/.test(s["counter"]))) {
      throw new TypeError(`state file ${field}[${i}].counter`);
    }
    if (field === "totp" && !Number.isInteger(s["intervalSeconds"])) {
      throw new TypeError(`state file ${field}[${i}].intervalSeconds`);
    }
  });
}
