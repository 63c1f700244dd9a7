import { Code, ConnectError } from "@connectrpc/connect";
import { TwofoldError } from "../../src/client/index.js";
import { OtpDeviceError } from "../oath/status.js";
import { WebAuthnError } from "../webauthn/errors.js";

/** Thrown by a scenario's assertion helpers; its message is the report's failure text. */
export class ScenarioFailure extends Error {
  override readonly name = "ScenarioFailure";
}

/** `Code.InvalidArgument` → `INVALID_ARGUMENT`, the name gRPC tools print. */
export function codeName(code: Code): string {
  return (Code[code] ?? String(code)).replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * One line explaining why a scenario stopped, in the words of whatever
 * stopped it: our own assertion, the service (status code and message), the
 * emulated token (libnitrokey status) or the browser (DOMException name).
 */
export function describeFailure(err: unknown): string {
  if (err instanceof ScenarioFailure) return err.message;
  if (err instanceof TwofoldError) return `the service answered ${codeName(err.code)}: ${err.procedure.replace(/^.*\.(\w+)\/(\w+)$/, "$1.$2")}: ${err.rawMessage}`;
  if (err instanceof ConnectError) return `the service answered ${codeName(err.code)}: ${err.rawMessage}`;
  if (err instanceof OtpDeviceError) return `the token refused: ${err.message}`;
  if (err instanceof WebAuthnError) return `the browser rejected with ${err.name}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
