/**
 * Which calls the client may send again by itself, and when.
 *
 * The rule: a call is retried only when it failed with UNAVAILABLE (the
 * service or its database could not be reached) AND the procedure is a read
 * that changes nothing, so sending it twice has the same effect as once.
 *
 * Everything that changes state is never retried, whatever the code. An
 * UNAVAILABLE or a lost connection says nothing about whether the first
 * attempt reached the database: a Verify may already have burnt its TOTP step
 * or backup code and committed its audit row, so a repeat would answer
 * REPLAYED for a login that in fact succeeded, and count a failure toward the
 * user's throttle. The same holds for VerifyAppPassword (throttle, last use),
 * Challenge (a second transaction), Enrol/Confirm/Generate/Create (a second
 * factor, a new code list) and every admin write (a second audit event). Those
 * outcomes are the caller's to decide, with the TwofoldError in hand.
 *
 * DEADLINE_EXCEEDED is not retried either: the call's time is spent. And
 * RESOURCE_EXHAUSTED (the per-user throttle) is never waited out here; its
 * RetryInfo goes to the caller as `TwofoldError.retryAfterMs`.
 */
import { Code } from "@connectrpc/connect";

/** How a procedure behaves when sent twice. */
export type ProcedureKind = "read" | "write";

/**
 * Every procedure a TwofoldClient can call, by its gRPC name
 * (`package.Service/Method`). A procedure missing here counts as a write: it
 * is never retried until someone decides it is safe (a test checks that every
 * method of every served service is listed).
 */
export const procedureKinds: Readonly<Record<string, ProcedureKind>> = {
  "twofold.v1.EnrolmentService/Enrol": "write",
  "twofold.v1.EnrolmentService/ConfirmEnrolment": "write",
  "twofold.v1.EnrolmentService/ListFactors": "read",
  "twofold.v1.EnrolmentService/RenameFactor": "write",
  "twofold.v1.EnrolmentService/RemoveFactor": "write",
  "twofold.v1.EnrolmentService/ResyncFactor": "write",
  "twofold.v1.AuthenticationService/Challenge": "write",
  "twofold.v1.AuthenticationService/Verify": "write",
  "twofold.v1.BackupCodeService/GenerateBackupCodes": "write",
  "twofold.v1.BackupCodeService/GetBackupCodeStatus": "read",
  "twofold.v1.AppPasswordService/CreateAppPassword": "write",
  "twofold.v1.AppPasswordService/ListAppPasswords": "read",
  "twofold.v1.AppPasswordService/RevokeAppPassword": "write",
  "twofold.v1.AppPasswordService/VerifyAppPassword": "write",
  "twofold.v1.AdminService/GetUserState": "read",
  "twofold.v1.AdminService/ResetSecondFactor": "write",
  "twofold.v1.AdminService/SetEnforcementPolicy": "write",
  "twofold.v1.AdminService/GetEnforcementPolicy": "read",
  "twofold.v1.AdminService/SetProviderPolicy": "write",
  "twofold.v1.AdminService/GetProviderPolicy": "read",
  "twofold.v1.AdminService/SetRelyingParty": "write",
  "twofold.v1.AdminService/GetRelyingParty": "read",
  "twofold.v1.AdminService/ListAuditEvents": "read",
  "twofold.v1.AdminService/ClearThrottle": "write",
  "grpc.health.v1.Health/Check": "read",
  "grpc.health.v1.Health/Watch": "read",
};

/** Whether `procedure` may be sent again after it failed with `code` (see the rule above). */
export function mayRetry(procedure: string, code: Code): boolean {
  return code === Code.Unavailable && procedureKinds[procedure] === "read";
}

/** Retry settings; the defaults suit a service answering within milliseconds. */
export interface RetryOptions {
  /** Attempts in all, the first included; default 3. 1 turns retries off. */
  maxAttempts?: number;
  /** Wait before the first retry; doubles each time, with full jitter. Default 50 ms. */
  initialDelayMs?: number;
  /** Cap on one wait; default 1000 ms. */
  maxDelayMs?: number;
}

/** The settled form of RetryOptions. */
export interface RetrySettings {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** RetryOptions with defaults filled; `false` means one attempt only. */
export function retrySettings(options: RetryOptions | false | undefined): RetrySettings {
  if (options === false) return { maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0 };
  const maxAttempts = Math.max(1, Math.floor(options?.maxAttempts ?? 3));
  const initialDelayMs = Math.max(0, options?.initialDelayMs ?? 50);
  return { maxAttempts, initialDelayMs, maxDelayMs: Math.max(initialDelayMs, options?.maxDelayMs ?? 1000) };
}

/**
 * The wait before retry number `retry` (1 for the first): full jitter over an
 * exponential ceiling, so many clients failing together do not come back in
 * step.
 */
export function retryDelayMs(settings: RetrySettings, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}
