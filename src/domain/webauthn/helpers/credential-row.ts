import { FACTOR_COLUMNS, type FactorRow } from "../../factors/factor-row.js";

/** A factors row with the WebAuthn columns verification needs (040_webauthn.sql). */
export interface CredentialRow extends FactorRow {
  webauthn_challenge: string | null;
  public_key: Buffer | null;
  sign_count: number | string;
  transports: string[];
  backup_eligible: boolean;
  backed_up: boolean;
}

/** FACTOR_COLUMNS plus the WebAuthn-only ones, for SELECT and RETURNING lists. */
export const CREDENTIAL_COLUMNS = `${FACTOR_COLUMNS}, webauthn_challenge, public_key, sign_count, transports, backup_eligible, backed_up`;

/** The two WebAuthn roles, as factors.kind stores them: they never stand in for each other. */
export type WebAuthnRole = "webauthn" | "passwordless";
