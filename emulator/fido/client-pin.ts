import { timingSafeEqual } from "node:crypto";
import { CtapError } from "./ctap2-errors.js";

/**
 * A FIDO2 device's PIN with CTAP2's retry rules (CTAP 2.1 §6.5): a total
 * budget (8 on Nitrokeys) that only a correct PIN refills, and a smaller
 * per-power-cycle budget (3) after which the device wants a replug.
 */
export class ClientPin {
  #pin: string | null = null;
  #retries: number;
  #failuresThisBoot = 0;

  constructor(
    private readonly maxRetries: number,
    private readonly retriesPerBoot: number,
  ) {
    this.#retries = maxRetries;
  }

  /** getInfo clientPin: whether a PIN is set. */
  get isSet(): boolean {
    return this.#pin !== null;
  }

  /** clientPIN getRetries. */
  get retries(): number {
    return this.#retries;
  }

  /** setPIN, allowed only while no PIN is set. */
  set(pin: string): void {
    if (this.#pin !== null) throw new CtapError("CTAP2_ERR_NOT_ALLOWED");
    checkPinPolicy(pin);
    this.#pin = pin;
  }

  /** changePIN: the current PIN counts as an attempt. */
  change(currentPin: string, newPin: string): void {
    this.verify(currentPin);
    checkPinPolicy(newPin);
    this.#pin = newPin;
  }

  /** Checks a PIN, spending an attempt when it is wrong. */
  verify(pin: string): void {
    if (this.#pin === null) throw new CtapError("CTAP2_ERR_PIN_NOT_SET");
    if (this.#retries <= 0) throw new CtapError("CTAP2_ERR_PIN_BLOCKED");
    if (this.#failuresThisBoot >= this.retriesPerBoot) throw new CtapError("CTAP2_ERR_PIN_AUTH_BLOCKED");
    const a = Buffer.from(pin, "utf8");
    const b = Buffer.from(this.#pin, "utf8");
    if (a.length === b.length && timingSafeEqual(a, b)) {
      this.#retries = this.maxRetries;
      this.#failuresThisBoot = 0;
      return;
    }
    this.#retries -= 1;
    this.#failuresThisBoot += 1;
    if (this.#retries <= 0) throw new CtapError("CTAP2_ERR_PIN_BLOCKED");
    if (this.#failuresThisBoot >= this.retriesPerBoot) throw new CtapError("CTAP2_ERR_PIN_AUTH_BLOCKED");
    throw new CtapError("CTAP2_ERR_PIN_INVALID");
  }

  /** A replug restores the per-boot budget. */
  powerCycle(): void {
    this.#failuresThisBoot = 0;
  }

  /** authenticatorReset removes the PIN. */
  reset(): void {
    this.#pin = null;
    this.#retries = this.maxRetries;
    this.#failuresThisBoot = 0;
  }

  /** For the state file. */
  exportState(): { pin: string | null; pinRetries: number } {
    return { pin: this.#pin, pinRetries: this.#retries };
  }

  /** From the state file. */
  restore(state: { pin: string | null; pinRetries: number }): void {
    this.#pin = state.pin;
    this.#retries = state.pinRetries;
    this.#failuresThisBoot = 0;
  }
}

/** CTAP2: at least 4 code points; Nitrokey firmware accepts up to 64. */
function checkPinPolicy(pin: string): void {
  const length = [...pin].length;
  if (length < 4 || length > 64) throw new CtapError("CTAP2_ERR_PIN_POLICY_VIOLATION");
}
