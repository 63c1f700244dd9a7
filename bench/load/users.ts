/**
 * The load's users and their devices, enrolled through the public API only:
 * a Nitrokey Pro TOTP slot (TOTP users, and backup-code users, who also hold
 * a list of codes), a Nitrokey Pro HOTP slot, a Nitrokey FIDO2 or Nitrokey 3
 * through the emulated browser (WebAuthn), or an app password (a mail
 * client). Every device is our emulator; no secret is ever printed.
 */
import { randomBytes } from "node:crypto";
import { TokenProfile } from "../../src/gen/twofold/v1/types_pb.js";
import { AttestationCa, Fido2Authenticator, NitrokeyOtpDevice, WebAuthnClient, type FidoProfileId } from "../../emulator/index.js";
import type { LoadClients } from "./clients.js";
import type { LoginKind } from "./mix.js";

/** Factory PINs of a Nitrokey Pro (libnitrokey's defaults) and the temporary password for slot writes. */
const ADMIN_PIN = "12345678";
const ADMIN_TMP = "twofold-bench";
/** The slot every OTP user's token is programmed in. */
export const SLOT = 0;
/** The scope app passwords are created for and verified against. */
export const APP_PASSWORD_SCOPE = "imap";
/** Backup codes per list (the most the service issues). */
export const BACKUP_CODES_PER_LIST = 20;

/** What every user has, whatever the kind. */
interface UserBase {
  id: string;
  /** A login of this user is in flight (a person logs in once at a time). */
  busy: boolean;
  /** Failures since the last success, kept below the throttle's free allowance. */
  failures: number;
}

/** A Nitrokey Pro with a TOTP slot; `nextStep` is the first time step not yet used (each step logs in once). */
export interface TotpUser extends UserBase {
  kind: "totp";
  token: NitrokeyOtpDevice;
  secret: Buffer;
  nextStep: number;
}

/** A Nitrokey Pro with an HOTP slot. */
export interface HotpUser extends UserBase {
  kind: "hotp";
  token: NitrokeyOtpDevice;
  secret: Buffer;
}

/** A FIDO2 key registered as a second factor. */
export interface WebAuthnUser extends UserBase {
  kind: "webauthn";
  device: Fido2Authenticator;
}

/** A TOTP user (the token is "lost") holding unused backup codes. */
export interface BackupCodeUser extends UserBase {
  kind: "backup-code";
  codes: string[];
  /** Every code of the current list, used or not (a wrong code must be none of them). */
  issued: string[];
}

/** A mail client's app password. */
export interface AppPasswordUser extends UserBase {
  kind: "app-password";
  password: string;
}

/** Any load user. */
export type LoadUser = TotpUser | HotpUser | WebAuthnUser | BackupCodeUser | AppPasswordUser;

/** The relying party's page the emulated browser is on. */
export interface WebAuthnSite {
  origin: string;
}

/** What enrolment needs. */
export interface EnrolContext {
  clients: LoadClients;
  browser: WebAuthnClient;
  ca: AttestationCa;
  /** A prefix unique to the run, so users never collide with another run's on a shared target. */
  runId: string;
}

/** The FIDO2 profiles WebAuthn users get, in turn: ES256-only Nitrokey FIDO2, and Nitrokey 3 (ES256 and EdDSA). */
const FIDO_PROFILES: readonly FidoProfileId[] = ["nitrokey-fido2", "nitrokey-3-xn"];

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`enrolment: ${message}`);
}

function nitrokeyPro(): NitrokeyOtpDevice {
  const token = new NitrokeyOtpDevice({ profile: "nitrokey-pro" });
  token.adminAuthenticate(ADMIN_PIN, ADMIN_TMP);
  return token;
}

/** The current TOTP step (30 s) of the host clock. */
export function currentStep(nowMs = Date.now()): number {
  return Math.floor(nowMs / 30_000);
}

async function enrolOtp(ctx: EnrolContext, userId: string, kind: "totp" | "hotp"): Promise<{ token: NitrokeyOtpDevice; secret: Buffer; step: number }> {
  const spec =
    kind === "totp"
      ? { case: "totp" as const, value: { tokenProfile: TokenProfile.NITROKEY_PRO } }
      : { case: "hotp" as const, value: { tokenProfile: TokenProfile.NITROKEY_PRO } };
  const res = await ctx.clients.enrolment.enrol({ userId, label: "Nitrokey Pro", spec });
  check(res.enrolment.case === "otp" && res.factor !== undefined, `Enrol (${kind}) returned no OTP factor`);
  const secretHex = res.enrolment.value.secretHex;
  const token = nitrokeyPro();
  let step = 0;
  if (kind === "totp") {
    token.writeTotpSlot(SLOT, { name: "twofold", secretHex, digits: 6, intervalSeconds: 30 }, ADMIN_TMP);
    // The code is the one the token showed a step ago (inside the ±1 window): the step it burns is
    // then already past, so the user's first login need not wait for a fresh step.
    const at = Date.now() - 30_000;
    token.setTime(Math.floor(at / 1000));
    step = currentStep(at);
  } else {
    token.writeHotpSlot(SLOT, { name: "twofold", secretHex, digits: 6, counter: 0 }, ADMIN_TMP);
  }
  const factorId = res.factor.id;
  const confirm = (code: string) => ctx.clients.enrolment.confirmEnrolment({ userId, factorId, proof: { case: "otpCode", value: code } });
  let confirmed = await confirm(kind === "totp" ? token.getTotpCode(SLOT) : token.getHotpCode(SLOT));
  if (!confirmed.confirmed && kind === "totp") {
    // The request crossed a step boundary, so that code is two steps old now: the previous step's
    // code again, as of now. (The current one would burn the current step, and the user's first
    // login would wait up to 30 s: a smoke run's window would end first.)
    const at = Date.now() - 30_000;
    token.setTime(Math.floor(at / 1000));
    step = currentStep(at);
    confirmed = await confirm(token.getTotpCode(SLOT));
  }
  check(confirmed.confirmed, `ConfirmEnrolment (${kind}) refused the token's code`);
  return { token, secret: Buffer.from(secretHex, "hex"), step };
}

/** Enrols one user of `kind` (user number `n`), ready to log in. */
export async function enrolUser(ctx: EnrolContext, kind: LoginKind, n: number): Promise<LoadUser> {
  const id = `${ctx.runId}-${kind}-${n}`;
  const base = { id, busy: false, failures: 0 };
  switch (kind) {
    case "totp": {
      const { token, secret, step } = await enrolOtp(ctx, id, "totp");
      // The confirming code burnt its step: the next login needs the next one.
      return { ...base, kind, token, secret, nextStep: step + 1 };
    }
    case "hotp": {
      const { token, secret } = await enrolOtp(ctx, id, "hotp");
      return { ...base, kind, token, secret };
    }
    case "webauthn": {
      const device = await Fido2Authenticator.create({ profile: FIDO_PROFILES[n % FIDO_PROFILES.length], ca: ctx.ca });
      const res = await ctx.clients.enrolment.enrol({
        userId: id,
        label: "Security key",
        spec: { case: "webauthn", value: { passwordless: false, userName: `${id}@example.com`, userDisplayName: id } },
      });
      check(res.enrolment.case === "webauthn" && res.factor !== undefined, "Enrol (webauthn) returned no WebAuthn enrolment");
      const credential = await ctx.browser.create(JSON.parse(res.enrolment.value.creationOptionsJson) as never, device);
      const confirmed = await ctx.clients.enrolment.confirmEnrolment({
        userId: id,
        factorId: res.factor.id,
        proof: { case: "webauthnAttestationJson", value: JSON.stringify(credential) },
      });
      check(confirmed.confirmed, "ConfirmEnrolment refused the authenticator's attestation");
      return { ...base, kind, device };
    }
    case "backup-code": {
      await enrolOtp(ctx, id, "totp");
      const codes = await generateCodes(ctx.clients, id);
      return { ...base, kind, codes: [...codes], issued: codes };
    }
    case "app-password": {
      const res = await ctx.clients.appPasswords.createAppPassword({ userId: id, name: "Thunderbird", scopes: [APP_PASSWORD_SCOPE] });
      check(res.password !== "", "CreateAppPassword returned no password");
      return { ...base, kind, password: res.password };
    }
  }
}

/** A new list of backup codes for `userId` (the old list stops working). */
export async function generateCodes(clients: LoadClients, userId: string): Promise<string[]> {
  const res = await clients.backupCodes.generateBackupCodes({ userId, count: BACKUP_CODES_PER_LIST });
  check(res.codes.length === BACKUP_CODES_PER_LIST, `GenerateBackupCodes returned ${res.codes.length} codes`);
  return res.codes;
}

/** A short random id for the run's users. */
export function newRunId(): string {
  return `bench-${randomBytes(4).toString("hex")}`;
}
