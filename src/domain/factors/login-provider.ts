import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { Logger } from "pino";
import type { Config } from "../../config/config.js";
import type { Keyring } from "../../crypto/keyring.js";
import type { Statement } from "../../store/statement.js";
import type { AuditDetails, AuditRowPart } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import type { RelyingParty } from "../relying-party/index.js";
import type { Factor } from "./factor.js";
import type { FailureReason } from "./failure-reason.js";
import type { FactorRow } from "./row.js";

/**
 * The contract between the login flow (login/) and the factors that answer
 * its challenges (otp/, webauthn/, backup-codes/). It lives here, below both,
 * so a provider never imports the flow that calls it: the flow owns the
 * order (claim, identify, throttle, check, one shared tail) and each
 * provider only says what to read, how to judge the proof in memory, and what
 * its part of the one write is.
 */

/** The ways a user can answer a challenge (proto Provider). */
export type ProviderName = "totp" | "hotp" | "webauthn" | "backup_code";

/** The proofs Verify accepts. */
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

/** What Challenge's one statement read about the user, for the providers to offer from. */
export interface ChallengeView {
  /** The user's active factors, every kind, oldest first. */
  factors: readonly FactorRow[];
  backupCodesRemaining: number;
  /** The WebAuthn challenge the transaction stores. */
  webauthnChallenge: string;
  /** The tenant's relying party (its own, else the configured default). */
  relyingParty: RelyingParty;
}

/** The attempt a provider judges: the claimed (or identified) user and the transaction's facts. */
export interface LoginAttempt {
  meta: RequestMeta;
  tenant: string;
  userId: string;
  purpose: "second_factor" | "passwordless";
  transactionId: string;
  now: Date;
  /** The WebAuthn challenge stored with the transaction, when it offered WebAuthn. */
  challenge: string | undefined;
  /** The tenant's relying party (its own, else the configured default). */
  relyingParty: RelyingParty;
  /** Passwordless: the identified user's WebAuthn user handle. */
  userHandle: string | undefined;
}

/** What a provider may use: no database (the flow reads and writes), no randomness. */
export interface ProviderDeps {
  keyring: Keyring;
  config: Config;
  logger: Logger;
}

/**
 * The provider's part of the one write that records a success: a CTE body
 * (the flow names it `burn`) that changes the single-use state (a TOTP step,
 * an HOTP counter, a WebAuthn counter, a backup code) with one conditional
 * UPDATE and returns a row only if it won. The flow spends the transaction
 * only if `burn` returned a row, in the same statement, so both happen or
 * neither. `when` (SQL boolean), when given, is one more condition of the
 * UPDATE: the flow's gate in a statement that also decides whether to write.
 */
export interface BurnPart {
  cte(s: Statement, when?: string): string;
  /** Why the proof fails when the burn finds its state already used (a race or a replay). */
  lostReason: FailureReason;
  /** Audit rows the success adds (written only when the transaction was spent). */
  extraAudits?(s: Statement, spentSql: string): AuditRowPart[];
  /** SQL for the backup codes left after the write, when the burn changes them. */
  remainingSql?(s: Statement): string;
}

/** A provider's judgement of a proof, before anything is written. */
export type Decision =
  | {
      verified: true;
      provider: ProviderName;
      factorId: string;
      amr: string[];
      driftSeconds: number;
      resynced: boolean;
      /** Details of the verify.succeeded row. */
      details: AuditDetails;
      burn: BurnPart;
    }
  | {
      verified: false;
      provider: ProviderName;
      reason: FailureReason;
      factorId: string;
      /** Changes a refusal still makes (remember a resync candidate, mark a cloned key), as CTE bodies; `when` as for BurnPart. */
      notes?: ((s: Statement, when?: string) => string)[];
      /** Audit rows the refusal adds beside verify.failed (webauthn.clone_suspected). */
      audits?: AuditRowPart[];
    };

/**
 * One login provider: what it offers at Challenge, what Verify must read to
 * check its proof, and how it judges the proof in memory.
 */
export interface LoginProvider<P extends LoginProof = LoginProof> {
  /** The proof this provider checks. */
  readonly proof: P["kind"];
  /** The options it offers at Challenge from the user's active factors, in the order shown. */
  offer(deps: ProviderDeps, view: ChallengeView): Promise<ProviderOption[]>;
  /**
   * SQL selecting the candidate factor rows (every FactorRow column) for this
   * proof; `userSql` is the attempt's user (null until a credential names it).
   */
  candidatesSql(s: Statement, userSql: string, proof: P): string;
  /** Passwordless only: SQL naming the user the proof belongs to (an assertion's credential owner). */
  identifySql?(s: Statement, proof: P): string;
  /** Judges the proof against the candidates with constant work (docs/design.md "Constant work"). */
  check(deps: ProviderDeps, attempt: LoginAttempt, proof: P, candidates: readonly FactorRow[]): Promise<Decision>;
}
