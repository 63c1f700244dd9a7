/**
 * Hardware profiles of the Nitrokey OATH tokens: what the firmware can hold.
 * The service refuses a spec the chosen profile cannot hold, so tests need
 * each limit as data.
 */
export interface OtpProfile {
  readonly id: OtpProfileId;
  readonly model: "Nitrokey Pro" | "Nitrokey Storage";
  readonly firmware: string;
  readonly hotpSlots: number;
  readonly totpSlots: number;
  readonly maxNameBytes: number;
  /** 40 bytes on current firmware, 20 on old ones. */
  readonly maxSecretBytes: number;
  /**
   * Storage ≤ 0.53 keeps the HOTP counter as decimal text in an 8-byte field,
   * so counters past 8 digits lose their tail (libnitrokey's known issue).
   */
  readonly hotpCounterTextDigits: number | null;
  readonly pinRetries: number;
  readonly defaultUserPin: string;
  readonly defaultAdminPin: string;
}

/** The profiles on offer. */
export type OtpProfileId = "nitrokey-pro" | "nitrokey-pro-0.7" | "nitrokey-storage" | "nitrokey-storage-0.53";

const common = {
  hotpSlots: 3,
  totpSlots: 15,
  maxNameBytes: 15,
  pinRetries: 3,
  defaultUserPin: "123456",
  defaultAdminPin: "12345678",
} as const;

/** Every OATH profile by id. */
export const OTP_PROFILES: Readonly<Record<OtpProfileId, OtpProfile>> = {
  "nitrokey-pro": {
    ...common,
    id: "nitrokey-pro",
    model: "Nitrokey Pro",
    firmware: "0.15",
    maxSecretBytes: 40,
    hotpCounterTextDigits: null,
  },
  "nitrokey-pro-0.7": {
    ...common,
    id: "nitrokey-pro-0.7",
    model: "Nitrokey Pro",
    firmware: "0.7",
    maxSecretBytes: 20,
    hotpCounterTextDigits: null,
  },
  "nitrokey-storage": {
    ...common,
    id: "nitrokey-storage",
    model: "Nitrokey Storage",
    firmware: "0.57",
    maxSecretBytes: 40,
    hotpCounterTextDigits: null,
  },
  "nitrokey-storage-0.53": {
    ...common,
    id: "nitrokey-storage-0.53",
    model: "Nitrokey Storage",
    firmware: "0.53",
    maxSecretBytes: 40,
    hotpCounterTextDigits: 8,
  },
};
