import { timingSafeEqual } from "node:crypto";
import type { OtpDeviceFaultSwitches, OtpFaults } from "../faults.js";
import { systemClock, type EmulatorClock } from "../runtime.js";
import { oathCode, totpCounter, type OathAlgorithm } from "./hotp.js";
import { OTP_PROFILES, type OtpProfile, type OtpProfileId } from "./profiles.js";
import { OtpDeviceError } from "./status.js";

/** One programmed OATH slot as the firmware keeps it. */
export interface OtpSlotState {
  name: string;
  secretHex: string;
  digits: 6 | 8;
  /** HOTP only: the next counter value, as decimal text (64-bit, so not a JS number). */
  counter?: string;
  /** TOTP only: the time step in seconds (uint16). */
  intervalSeconds?: number;
}

/** Everything a Nitrokey keeps across power cycles; what the JSON state file holds. */
export interface OtpDeviceState {
  format: "twofold-nitrokey-otp";
  version: 1;
  profile: OtpProfileId;
  userPin: string;
  adminPin: string;
  userRetries: number;
  adminRetries: number;
  otpRequiresUserPin: boolean;
  /** The last time the host set, Unix seconds (0 = never set). */
  deviceTime: number;
  hotp: (OtpSlotState | null)[];
  totp: (OtpSlotState | null)[];
}

/** What a slot write carries (libnitrokey's write_HOTP_slot / write_TOTP_slot arguments). */
export interface OtpSlotWrite {
  name: string;
  /** Hex; empty keeps the slot's current secret (firmware semantics). */
  secretHex: string;
  digits?: 6 | 8;
  /** Only SHA1 exists on the device; anything else is NOT_SUPPORTED. */
  algorithm?: OathAlgorithm;
}

/** Options for {@link NitrokeyOtpDevice}. */
export interface NitrokeyOtpOptions {
  profile?: OtpProfileId;
  /** The host's clock, used only by {@link NitrokeyOtpDevice.syncTimeFromHost}. */
  clock?: EmulatorClock;
  faults?: OtpFaults;
  /** Restore a saved device instead of a factory-fresh one. */
  state?: OtpDeviceState;
}

/**
 * A Nitrokey Pro / Storage OATH token with libnitrokey's semantics: slot
 * model, PINs with retry counters, host-set time, and the library's status
 * codes for every refusal (thrown as {@link OtpDeviceError}).
 */
export class NitrokeyOtpDevice {
  readonly profile: OtpProfile;
  /** Faults switched on for this token; tests may replace it at any time. */
  faults: OtpFaults;
  #state: OtpDeviceState;
  #clock: EmulatorClock;
  #adminTemporaryPassword: string | null = null;
  #userTemporaryPassword: string | null = null;
  #lastHotpCode = new Map<number, string>();
  #desyncApplied = new Set<number>();

  constructor(options: NitrokeyOtpOptions = {}) {
    const profileId = options.state?.profile ?? options.profile ?? "nitrokey-pro";
    this.profile = OTP_PROFILES[profileId];
    this.#clock = options.clock ?? systemClock;
    this.faults = options.faults ?? {};
    this.#state = options.state ? structuredClone(options.state) : freshState(this.profile);
  }

  /** A copy of the persistent state, for the JSON state file. */
  snapshot(): OtpDeviceState {
    return structuredClone(this.#state);
  }

  /** Switches on a parsed set of OTP faults: host behaviour in `faults`, device state at once. */
  applyFaults(faults: OtpFaults & OtpDeviceFaultSwitches): void {
    const { pinLockout, pinProtectedOtp, unprogrammedSlot, ...host } = faults;
    this.faults = host;
    this.injectDeviceFaults({
      ...(pinLockout === undefined ? {} : { pinLockout }),
      ...(pinProtectedOtp === undefined ? {} : { pinProtectedOtp }),
      ...(unprogrammedSlot === undefined ? {} : { unprogrammedSlot }),
    });
  }

  /** Applies the faults that are device state rather than host behaviour. */
  injectDeviceFaults(switches: OtpDeviceFaultSwitches): void {
    if (switches.pinLockout) {
      this.#state.userRetries = 0;
      this.#state.adminRetries = 0;
    }
    if (switches.pinProtectedOtp) this.#state.otpRequiresUserPin = true;
    if (switches.unprogrammedSlot) {
      this.#state.hotp = this.#state.hotp.map(() => null);
      this.#state.totp = this.#state.totp.map(() => null);
    }
  }

  /** Unplug and replug: temporary passwords are forgotten, persistent state stays. */
  powerCycle(): void {
    this.#adminTemporaryPassword = null;
    this.#userTemporaryPassword = null;
  }

  /** libnitrokey first_authenticate: admin PIN check that opens write access. */
  adminAuthenticate(adminPin: string, temporaryPassword: string): void {
    this.#checkAdminPin(adminPin);
    this.#adminTemporaryPassword = temporaryPassword;
  }

  /** libnitrokey user_authenticate: user PIN check, needed for codes when "OTP requires user PIN". */
  userAuthenticate(userPin: string, temporaryPassword: string): void {
    if (this.#state.userRetries <= 0) throw new OtpDeviceError("WRONG_PASSWORD", "user PIN locked");
    if (!sameSecret(userPin, this.#state.userPin)) {
      this.#state.userRetries -= 1;
      throw new OtpDeviceError("WRONG_PASSWORD");
    }
    this.#state.userRetries = this.profile.pinRetries;
    this.#userTemporaryPassword = temporaryPassword;
  }

  /** Remaining user PIN attempts (0 = locked). */
  getUserRetryCount(): number {
    return this.#state.userRetries;
  }

  /** Remaining admin PIN attempts (0 = locked for good). */
  getAdminRetryCount(): number {
    return this.#state.adminRetries;
  }

  /** libnitrokey unlock_user_password: the admin PIN resets a locked user PIN. */
  unlockUserPin(adminPin: string, newUserPin: string): void {
    this.#checkAdminPin(adminPin);
    this.#state.userPin = newUserPin;
    this.#state.userRetries = this.profile.pinRetries;
  }

  /** libnitrokey change_user_PIN. */
  changeUserPin(currentPin: string, newPin: string): void {
    this.userAuthenticate(currentPin, "");
    this.#userTemporaryPassword = null;
    this.#state.userPin = newPin;
  }

  /** libnitrokey change_admin_PIN. */
  changeAdminPin(currentPin: string, newPin: string): void {
    this.#checkAdminPin(currentPin);
    this.#state.adminPin = newPin;
  }

  /** libnitrokey write_config: today only the "OTP requires user PIN" flag. */
  writeConfig(config: { otpRequiresUserPin: boolean }, adminTemporaryPassword: string): void {
    this.#requireAdmin(adminTemporaryPassword);
    this.#state.otpRequiresUserPin = config.otpRequiresUserPin;
  }

  /** libnitrokey read_config. */
  readConfig(): { otpRequiresUserPin: boolean } {
    return { otpRequiresUserPin: this.#state.otpRequiresUserPin };
  }

  /** libnitrokey set_time: always succeeds. */
  setTime(unixSeconds: number): void {
    this.#state.deviceTime = Math.floor(unixSeconds);
  }

  /** libnitrokey set_time_soft: refuses an unset clock or going back in time. */
  setTimeSoft(unixSeconds: number): void {
    const t = Math.floor(unixSeconds);
    if (this.#state.deviceTime === 0 || this.#state.deviceTime > t) {
      throw new OtpDeviceError("TIMESTAMP_WARNING");
    }
    this.#state.deviceTime = t;
  }

  /** The time the device believes it is (last set time plus drift), Unix seconds. */
  getDeviceTime(): number {
    return this.#state.deviceTime + (this.faults.clockSkewSeconds ?? 0);
  }

  /**
   * What the Nitrokey App does on start: set the device time from the host
   * clock. Lost when the clock-unset fault is on.
   */
  syncTimeFromHost(): void {
    if (this.faults.clockUnset) return;
    this.setTime(Math.floor(this.#clock.now().getTime() / 1000));
  }

  /** libnitrokey write_HOTP_slot (slots 0–2). */
  writeHotpSlot(
    slot: number,
    write: OtpSlotWrite & { counter?: bigint | number },
    adminTemporaryPassword: string,
  ): void {
    this.#checkSlot(slot, this.profile.hotpSlots);
    const counter = BigInt(write.counter ?? 0);
    if (counter < 0n || counter >= 1n << 64n) throw new OtpDeviceError("NOT_SUPPORTED", "counter out of range");
    const base = this.#validateWrite(write, this.#state.hotp[slot] ?? null);
    this.#requireAdmin(adminTemporaryPassword);
    this.#state.hotp[slot] = { ...base, counter: this.#storeCounter(counter) };
    this.#lastHotpCode.delete(slot);
  }

  /** libnitrokey write_TOTP_slot (slots 0–14). */
  writeTotpSlot(
    slot: number,
    write: OtpSlotWrite & { intervalSeconds?: number },
    adminTemporaryPassword: string,
  ): void {
    this.#checkSlot(slot, this.profile.totpSlots);
    const interval = write.intervalSeconds ?? 30;
    if (!Number.isInteger(interval) || interval < 1 || interval > 0xffff) {
      throw new OtpDeviceError("NOT_SUPPORTED", "interval must be a uint16 above 0");
    }
    const base = this.#validateWrite(write, this.#state.totp[slot] ?? null);
    this.#requireAdmin(adminTemporaryPassword);
    this.#state.totp[slot] = { ...base, intervalSeconds: interval };
  }

  /** libnitrokey erase_hotp_slot. */
  eraseHotpSlot(slot: number, adminTemporaryPassword: string): void {
    this.#checkSlot(slot, this.profile.hotpSlots);
    this.#requireAdmin(adminTemporaryPassword);
    this.#state.hotp[slot] = null;
  }

  /** libnitrokey erase_totp_slot. */
  eraseTotpSlot(slot: number, adminTemporaryPassword: string): void {
    this.#checkSlot(slot, this.profile.totpSlots);
    this.#requireAdmin(adminTemporaryPassword);
    this.#state.totp[slot] = null;
  }

  /** libnitrokey get_hotp_slot_name. */
  getHotpSlotName(slot: number): string {
    this.#checkSlot(slot, this.profile.hotpSlots);
    return this.#programmed(this.#state.hotp[slot]).name;
  }

  /** libnitrokey get_totp_slot_name. */
  getTotpSlotName(slot: number): string {
    this.#checkSlot(slot, this.profile.totpSlots);
    return this.#programmed(this.#state.totp[slot]).name;
  }

  /** The next HOTP counter of a slot (for tests and the state file). */
  getHotpCounter(slot: number): bigint {
    this.#checkSlot(slot, this.profile.hotpSlots);
    return BigInt(this.#programmed(this.#state.hotp[slot]).counter ?? "0");
  }

  /** libnitrokey get_HOTP_code: the code for the current counter, then the counter increments. */
  getHotpCode(slot: number, userTemporaryPassword?: string): string {
    this.#checkSlot(slot, this.profile.hotpSlots);
    const state = this.#programmed(this.#state.hotp[slot]);
    this.#requireUserForOtp(userTemporaryPassword);
    const last = this.#lastHotpCode.get(slot);
    if (this.faults.hotpReplay && last !== undefined) return last;
    let counter = BigInt(state.counter ?? "0");
    const desync = this.faults.hotpDesyncSteps ?? 0;
    if (desync > 0 && !this.#desyncApplied.has(slot)) {
      this.#desyncApplied.add(slot);
      counter += BigInt(desync);
    }
    const code = oathCode(Buffer.from(state.secretHex, "hex"), counter, state.digits, "SHA1");
    state.counter = this.#storeCounter(counter + 1n);
    this.#lastHotpCode.set(slot, code);
    return code;
  }

  /** libnitrokey get_TOTP_code: the code for the device's own (last set) time. */
  getTotpCode(slot: number, userTemporaryPassword?: string): string {
    this.#checkSlot(slot, this.profile.totpSlots);
    const state = this.#programmed(this.#state.totp[slot]);
    this.#requireUserForOtp(userTemporaryPassword);
    const step = totpCounter(Math.max(0, this.getDeviceTime()), state.intervalSeconds ?? 30);
    return oathCode(Buffer.from(state.secretHex, "hex"), step, state.digits, "SHA1");
  }

  #checkSlot(slot: number, count: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= count) {
      throw new OtpDeviceError("INVALID_SLOT", `slot ${slot} of ${count}`);
    }
  }

  #programmed(slot: OtpSlotState | null | undefined): OtpSlotState {
    if (!slot) throw new OtpDeviceError("SLOT_NOT_PROGRAMMED");
    return slot;
  }

  #validateWrite(write: OtpSlotWrite, current: OtpSlotState | null): Omit<OtpSlotState, "counter" | "intervalSeconds"> {
    // The hash is checked first: no secret or name makes SHA256/512 possible on this firmware.
    if ((write.algorithm ?? "SHA1") !== "SHA1") throw new OtpDeviceError("NOT_SUPPORTED", "HMAC-SHA1 only");
    // Library-side checks next, as libnitrokey raises them before talking to the device.
    if (Buffer.byteLength(write.name, "utf8") > this.profile.maxNameBytes) {
      throw new OtpDeviceError("TOO_LONG_STRING", "slot name");
    }
    if (!/^([0-9a-fA-F]{2})*$/.test(write.secretHex)) throw new OtpDeviceError("INVALID_HEX_STRING");
    if (write.secretHex.length / 2 > this.profile.maxSecretBytes) {
      throw new OtpDeviceError("TOO_LONG_STRING", "secret");
    }
    if (write.name.length === 0) throw new OtpDeviceError("NO_NAME_ERROR");
    const digits = write.digits ?? 6;
    if (digits !== 6 && digits !== 8) throw new OtpDeviceError("NOT_SUPPORTED", "6 or 8 digits");
    // An empty secret keeps the slot's old secret (libnitrokey ≥ 3.3 / firmware behaviour).
    const secretHex = write.secretHex === "" ? (current?.secretHex ?? "") : write.secretHex.toLowerCase();
    return { name: write.name, secretHex, digits };
  }

  #storeCounter(counter: bigint): string {
    const text = counter.toString();
    const limit = this.profile.hotpCounterTextDigits;
    return limit === null ? text : text.slice(0, limit);
  }

  #requireAdmin(temporaryPassword: string): void {
    if (this.#adminTemporaryPassword === null || !sameSecret(temporaryPassword, this.#adminTemporaryPassword)) {
      throw new OtpDeviceError("NOT_AUTHORIZED");
    }
  }

  #requireUserForOtp(temporaryPassword: string | undefined): void {
    if (!this.#state.otpRequiresUserPin) return;
    if (
      temporaryPassword === undefined ||
      this.#userTemporaryPassword === null ||
      !sameSecret(temporaryPassword, this.#userTemporaryPassword)
    ) {
      throw new OtpDeviceError("NOT_AUTHORIZED", "OTP requires user PIN");
    }
  }

  #checkAdminPin(adminPin: string): void {
    if (this.#state.adminRetries <= 0) throw new OtpDeviceError("WRONG_PASSWORD", "admin PIN locked");
    if (!sameSecret(adminPin, this.#state.adminPin)) {
      this.#state.adminRetries -= 1;
      throw new OtpDeviceError("WRONG_PASSWORD");
    }
    this.#state.adminRetries = this.profile.pinRetries;
  }
}

function freshState(profile: OtpProfile): OtpDeviceState {
  return {
    format: "twofold-nitrokey-otp",
    version: 1,
    profile: profile.id,
    userPin: profile.defaultUserPin,
    adminPin: profile.defaultAdminPin,
    userRetries: profile.pinRetries,
    adminRetries: profile.pinRetries,
    otpRequiresUserPin: false,
    deviceTime: 0,
    hotp: Array.from({ length: profile.hotpSlots }, () => null),
    totp: Array.from({ length: profile.totpSlots }, () => null),
  };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}
