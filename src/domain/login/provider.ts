import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { AppDeps } from "../../app.js";
import type { Queryable } from "../../store/db.js";
import type { RequestMeta } from "../caller.js";
import type { Factor } from "../factors/factor.js";
import type { FailureReason } from "../factors/failure-reason.js";

/** The ways a user can answer a challenge (proto Provider). */
export type ProviderName = "totp" | "hotp" | "webauthn" | "backup_code";

/** The proofs Verify accepts. Later providers (WebAuthn) add their own variants. */
export type LoginProof =
  | { kind: "otp"; code: string; factorId: string | undefined }
  | { kind: "backup_code"; code: string }
  | { kind: "webauthn"; assertion: AuthenticationResponseJSON };

/** One provider the user can answer with, and the factors behind it. */
export interface ProviderOption {
  provider: ProviderName;
  factors: Factor[];
  /** Whether having this provider means the user has 2FA on (backup codes alone do not). */
  turnsOnSecondFactor: boolean;
  /** WebAuthn: the request options JSON for navigator.credentials.get(), carrying the transaction's challenge. */
  webauthnRequestOptionsJson?: string;
}

/** Per-Challenge values a provider may use: the WebAuthn challenge the transaction will store if any option uses it. */
export interface ChallengeContext {
  webauthnChallenge: string;
}

/** The open attempt a provider checks a proof for. */
export interface LoginAttempt {
  meta: RequestMeta;
  userId: string;
  transactionId: string;
  now: Date;
  /** The WebAuthn challenge stored with the transaction, if it offered WebAuthn. */
  challenge?: string | undefined;
  /**
   * Spends the login transaction. A provider calls it inside the same database
   * transaction as its own single-use change (a TOTP step, a backup code), so
   * both happen or neither; false means another attempt spent it first.
   */
  spend(q: Queryable): Promise<boolean>;
}

/** A provider's verdict on a proof: what was proven, or why not (an ordinary outcome). */
export type ProofOutcome =
  | { verified: true; provider: ProviderName; factorId: string; amr: string[]; driftSeconds: number; resynced: boolean }
  | { verified: false; provider: ProviderName; reason: FailureReason; factorId: string };

/** What a provider may use: no randomness, since checking a proof needs none. */
export type ProviderDeps = Pick<AppDeps, "db" | "keyring" | "clock" | "config" | "logger">;

/**
 * A login provider: what it offers at Challenge and how it checks its proof
 * at Verify. twofold's factors plug in here alike (DESIGN layout: one folder
 * per factor, each with the same shape).
 */
export interface LoginProvider {
  readonly name: ProviderName;
  /** The user's options for this provider, or undefined when they have none. */
  options(deps: ProviderDeps, tenant: string, userId: string, ctx?: ChallengeContext): Promise<ProviderOption | undefined>;
}

/** Checks one kind of proof. */
export type ProofVerifier<P extends LoginProof> = (deps: ProviderDeps, attempt: LoginAttempt, proof: P) => Promise<ProofOutcome>;

/** Thrown inside a provider's database transaction when the login transaction was spent meanwhile (rolls it back). */
export class TransactionSpentError extends Error {
  override readonly name = "TransactionSpentError";
  constructor() {
    super("login transaction already spent");
  }
}
