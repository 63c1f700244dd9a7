/** CTAP2 status codes (CTAP 2.1 §8.2) the emulated authenticators return. */
export const CtapStatus = {
  CTAP2_OK: 0x00,
  CTAP1_ERR_INVALID_PARAMETER: 0x02,
  CTAP2_ERR_CREDENTIAL_EXCLUDED: 0x19,
  CTAP2_ERR_UNSUPPORTED_ALGORITHM: 0x26,
  CTAP2_ERR_OPERATION_DENIED: 0x27,
  CTAP2_ERR_KEY_STORE_FULL: 0x28,
  CTAP2_ERR_UNSUPPORTED_OPTION: 0x2b,
  CTAP2_ERR_NO_CREDENTIALS: 0x2e,
  CTAP2_ERR_USER_ACTION_TIMEOUT: 0x2f,
  CTAP2_ERR_NOT_ALLOWED: 0x30,
  CTAP2_ERR_PIN_INVALID: 0x31,
  CTAP2_ERR_PIN_BLOCKED: 0x32,
  CTAP2_ERR_PIN_AUTH_BLOCKED: 0x34,
  CTAP2_ERR_PIN_NOT_SET: 0x35,
  CTAP2_ERR_PIN_REQUIRED: 0x36,
  CTAP2_ERR_PIN_POLICY_VIOLATION: 0x37,
} as const;

/** One of the names in {@link CtapStatus}. */
export type CtapStatusName = keyof typeof CtapStatus;

/** An authenticator's refusal; the browser maps `status` to a DOMException name. */
export class CtapError extends Error {
  readonly status: number;
  constructor(readonly statusName: Exclude<CtapStatusName, "CTAP2_OK">) {
    super(statusName);
    this.name = "CtapError";
    this.status = CtapStatus[statusName];
  }
}
