/**
 * libnitrokey's command status codes (device) and library error codes, so a
 * test can assert the exact refusal a real Nitrokey Pro/Storage would give.
 */
export const OtpStatus = {
  OK: 0,
  WRONG_SLOT: 2,
  SLOT_NOT_PROGRAMMED: 3,
  WRONG_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
  TIMESTAMP_WARNING: 6,
  NO_NAME_ERROR: 7,
  NOT_SUPPORTED: 8,
  TOO_LONG_STRING: 200,
  INVALID_SLOT: 201,
  INVALID_HEX_STRING: 202,
} as const;

/** One of the names in {@link OtpStatus}. */
export type OtpStatusName = keyof typeof OtpStatus;

/**
 * Thrown for every refusal, like libnitrokey's CommandFailedException /
 * LibraryException: the numeric `status` is what callers branch on.
 */
export class OtpDeviceError extends Error {
  readonly status: number;
  constructor(
    readonly statusName: Exclude<OtpStatusName, "OK">,
    detail?: string,
  ) {
    super(detail === undefined ? statusName : `${statusName}: ${detail}`);
    this.name = "OtpDeviceError";
    this.status = OtpStatus[statusName];
  }
}
