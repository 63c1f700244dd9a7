import type { Factor } from "../../src/gen/twofold/v1/types_pb.js";
import { FactorKind, FactorState, TokenProfile } from "../../src/gen/twofold/v1/types_pb.js";
import { NitrokeyOtpDevice } from "../oath/nitrokey-otp.js";
import { reasonName } from "./login-flow.js";
import type { ScenarioContext } from "./types.js";

/** The factory admin PIN of a Nitrokey Pro (libnitrokey default). */
export const ADMIN_PIN = "12345678";
/** The factory user PIN, for "OTP requires user PIN". */
export const USER_PIN = "123456";
/** The temporary passwords the host hands the device after a PIN check (libnitrokey's first_authenticate/user_authenticate). */
export const ADMIN_TMP = "scenario-admin";
export const USER_TMP = "scenario-user";
/** The slot scenarios program: TOTP slot 1 and HOTP slot 1 in the Nitrokey App's numbering. */
export const SLOT = 0;
/** What the service issues by default and a Nitrokey Pro TOTP slot is written with. */
export const TOTP_PERIOD_SECONDS = 30;

/** A factory-fresh Nitrokey Pro on the host's clock, unlocked for writing slots with the admin PIN. */
export function nitrokeyPro(ctx: ScenarioContext): NitrokeyOtpDevice {
  const token = new NitrokeyOtpDevice({ profile: "nitrokey-pro", clock: ctx.clock });
  token.adminAuthenticate(ADMIN_PIN, ADMIN_TMP);
  return token;
}

/**
 * Enrols an OTP factor meant for a Nitrokey Pro (token_profile NITROKEY_PRO),
 * checks the service answered with a hex secret and a pending factor, and
 * writes that secret into the token's slot with the admin PIN, as the
 * Nitrokey App does from the secret a web page shows.
 */
export async function enrolOnNitrokey(ctx: ScenarioContext, token: NitrokeyOtpDevice, kind: "totp" | "hotp"): Promise<Factor> {
  const spec =
    kind === "totp"
      ? { case: "totp" as const, value: { tokenProfile: TokenProfile.NITROKEY_PRO } }
      : { case: "hotp" as const, value: { tokenProfile: TokenProfile.NITROKEY_PRO } };
  const res = await ctx.clients.enrolment.enrol({ userId: ctx.userId, label: "Nitrokey Pro", spec });
  ctx.check(res.enrolment.case === "otp", `Enrol (${kind}) returned no OTP enrolment`);
  const secretHex = ctx.secret(res.enrolment.value.secretHex);
  ctx.check(/^([0-9a-f]{2}){16,40}$/i.test(secretHex), `Enrol (${kind}) returned no hex secret a Nitrokey Pro can hold (16 to 40 bytes)`);
  const factor = res.factor;
  ctx.check(factor !== undefined && factor.id !== "", `Enrol (${kind}) returned no factor`);
  ctx.check(factor.state === FactorState.PENDING, `a new ${kind} factor should be PENDING until confirmed, was ${FactorState[factor.state]}`);
  const expectedKind = kind === "totp" ? FactorKind.TOTP : FactorKind.HOTP;
  ctx.check(factor.kind === expectedKind, `Enrol (${kind}) returned a factor of kind ${FactorKind[factor.kind]}`);
  if (kind === "totp") {
    token.writeTotpSlot(SLOT, { name: "twofold", secretHex, digits: 6, intervalSeconds: TOTP_PERIOD_SECONDS }, ADMIN_TMP);
  } else {
    token.writeHotpSlot(SLOT, { name: "twofold", secretHex, digits: 6, counter: 0 }, ADMIN_TMP);
  }
  return factor;
}

/** ConfirmEnrolment with a code from the token; the factor must become ACTIVE. */
export async function confirmWithCode(ctx: ScenarioContext, factorId: string, code: string): Promise<Factor> {
  const res = await ctx.clients.enrolment.confirmEnrolment({ userId: ctx.userId, factorId, proof: { case: "otpCode", value: code } });
  ctx.check(res.confirmed, `ConfirmEnrolment refused the token's current code (reason ${reasonName(res.reason)})`);
  ctx.check(res.factor?.state === FactorState.ACTIVE, "ConfirmEnrolment confirmed but the factor is not ACTIVE");
  return res.factor;
}

/** The host's time, Unix seconds. */
export function hostSeconds(ctx: ScenarioContext): number {
  return Math.floor(ctx.clock.now().getTime() / 1000);
}

/**
 * The TOTP code the token shows when its host sets its time `offsetSeconds`
 * from the host clock. A positive whole number of periods plays "the next
 * code" without waiting for it: the service's ±1 step window accepts it.
 */
export function totpCodeAt(ctx: ScenarioContext, token: NitrokeyOtpDevice, offsetSeconds: number, userTmp?: string): string {
  token.setTime(hostSeconds(ctx) + offsetSeconds);
  return ctx.secret(token.getTotpCode(SLOT, userTmp));
}

/** The next HOTP code (the button press): the token's counter moves on. */
export function hotpCode(ctx: ScenarioContext, token: NitrokeyOtpDevice): string {
  return ctx.secret(token.getHotpCode(SLOT));
}

/** Enrols a TOTP factor on a Nitrokey Pro slot and confirms it with the code for the host's time. */
export async function enrolAndConfirmTotp(ctx: ScenarioContext, token: NitrokeyOtpDevice, userTmp?: string): Promise<Factor> {
  const pending = await enrolOnNitrokey(ctx, token, "totp");
  token.syncTimeFromHost();
  return confirmWithCode(ctx, pending.id, ctx.secret(token.getTotpCode(SLOT, userTmp)));
}
