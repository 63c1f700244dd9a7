import type { Logger } from "pino";

/**
 * Logs why @simplewebauthn/server refused a ceremony and returns nothing a
 * caller could see: its messages name internals (certificate fields, byte
 * offsets), so callers get a FailureReason only (STYLE "weakness to avoid").
 */
export function logCeremonyFailure(logger: Logger, ceremony: "registration" | "authentication", err: unknown): void {
  const cause = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  logger.info({ ceremony, cause }, "webauthn ceremony refused");
}
