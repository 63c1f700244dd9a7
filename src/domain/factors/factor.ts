import type { OtpAlgorithm, OtpDigits, TotpPeriod } from "../../core/index.js";

/** Kinds of factor, as stored in factors.kind. */
export type FactorKind = "totp" | "hotp" | "webauthn" | "passwordless";
/** PENDING from Enrol until a proof confirms it, then ACTIVE. */
export type FactorState = "pending" | "active";

/**
 * The device an OTP secret is for. Hardware profiles limit what a spec may ask
 * for (docs/design.md "Factors and their rules"); `software` is an authenticator app.
 */
export type TokenProfile = "software" | "generic" | "nitrokey_pro" | "nitrokey_storage";

/** One factor as domain code and callers see it: never the secret. */
export interface Factor {
  id: string;
  kind: FactorKind;
  label: string;
  state: FactorState;
  createdAt: Date;
  confirmedAt: Date | undefined;
  lastUsedAt: Date | undefined;
  pendingExpiresAt: Date | undefined;
  algorithm: OtpAlgorithm | undefined;
  digits: OtpDigits | undefined;
  periodSeconds: TotpPeriod | undefined;
  /** TOTP: learned clock offset, steps. */
  driftSteps: number;
  tokenProfile: TokenProfile;
  /** HOTP: the next counter the service expects (last accepted + 1). */
  counter?: number | undefined;
  /** WebAuthn: the authenticator model's AAGUID (lower case; all zeros for U2F keys). */
  aaguid?: string | undefined;
  /** WebAuthn: the model's name when the AAGUID is a known one. */
  authenticatorName?: string | undefined;
  /** WebAuthn: a signature counter failed to increase once; the factor no longer logs in. */
  cloneSuspected?: boolean | undefined;
  /** The tenant's provider policy has turned this kind off: kept, but it does not log in (docs/design.md "Provider policy"). */
  disabledByPolicy?: boolean | undefined;
}

/** How long an enrolment may stay pending before it lapses. */
export const PENDING_TTL_MS = 10 * 60 * 1000;

/** Most factors (pending ones included) one user may hold; more is a mistake or abuse. */
export const MAX_FACTORS_PER_USER = 20;

/** Labels users recognise factors by: 1–64 characters, no control characters. */
export const MAX_LABEL_CHARS = 64;

/** The drift in seconds a TOTP factor reports. */
export function driftSeconds(factor: Pick<Factor, "driftSteps" | "periodSeconds">): number {
  return factor.driftSteps * (factor.periodSeconds ?? 0);
}
