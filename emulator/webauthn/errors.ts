/** The DOMException names `navigator.credentials` rejects with (WebAuthn §5.1.3, §5.1.4). */
export type WebAuthnErrorName =
  | "InvalidStateError"
  | "NotAllowedError"
  | "SecurityError"
  | "NotSupportedError"
  | "TypeError"
  | "UnknownError";

/**
 * What a page's `create()`/`get()` promise rejects with. `name` is the
 * DOMException name a browser uses, so scenario code can branch as a web
 * page would; `cause` keeps the authenticator's status for debugging.
 */
export class WebAuthnError extends Error {
  constructor(
    override readonly name: WebAuthnErrorName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
