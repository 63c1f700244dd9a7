import { execFileSync } from "node:child_process";
import { expect } from "vitest";
import { NitrokeyOtpDevice } from "../../emulator/index.js";
import { TokenProfile } from "../../src/gen/twofold/v1/types_pb.js";
import type { Harness } from "../rpc/harness.js";

/** The Nitrokey admin PIN (factory default) and a temporary password for slot writes. */
export const ADMIN_PIN = "12345678";
export const TEMP = "temporary-password-hotp";

/** A Nitrokey Pro with HOTP slot 1 (and TOTP slot 1 when asked) holding `secretHex`. */
export function nitrokeyWith(secretHex: string, opts: { digits?: 6 | 8; counter?: number; totp?: boolean } = {}): NitrokeyOtpDevice {
  const device = new NitrokeyOtpDevice({ profile: "nitrokey-pro" });
  device.adminAuthenticate(ADMIN_PIN, TEMP);
  device.writeHotpSlot(1, { name: "twofold", secretHex, digits: opts.digits ?? 6, counter: opts.counter ?? 0 }, TEMP);
  if (opts.totp === true) device.writeTotpSlot(1, { name: "twofold", secretHex, digits: opts.digits ?? 6, intervalSeconds: 30 }, TEMP);
  return device;
}

/** Debian's oathtool: the HOTP code at counter `c` (an implementation nobody here wrote). */
export function oathtoolHotp(secretHex: string, c: number, digits: 6 | 8 = 6): string {
  return execFileSync("oathtool", ["--hotp", `--digits=${digits}`, "-c", String(c), secretHex], { encoding: "utf8" }).trim();
}

/** Enrols an HOTP factor for a Nitrokey Pro, confirms it with the token's first code, returns the token. */
export async function enrolNitrokeyHotp(h: Harness, userId: string, secretHex: string): Promise<{ factorId: string; device: NitrokeyOtpDevice }> {
  const device = nitrokeyWith(secretHex);
  const enrolled = await h.enrolment().enrol({
    userId,
    label: "Nitrokey Pro",
    spec: { case: "hotp", value: { secret: Buffer.from(secretHex, "hex"), tokenProfile: TokenProfile.NITROKEY_PRO } },
  });
  const factorId = enrolled.factor?.id ?? "";
  const confirmed = await h.enrolment().confirmEnrolment({ userId, factorId, proof: { case: "otpCode", value: device.getHotpCode(1) } });
  expect(confirmed.confirmed).toBe(true);
  return { factorId, device };
}

/** Challenge then Verify with an OTP code, as a login page would. */
export async function login(h: Harness, userId: string, code: string, factorId = "") {
  const ch = await h.auth().challenge({ userId, clientIp: "192.0.2.9" });
  return h.auth().verify({ transactionId: ch.transactionId, clientIp: "192.0.2.9", proof: { case: "otp", value: { code, factorId } } });
}
