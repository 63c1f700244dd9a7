import type { Queryable } from "../../store/db.js";

/** The factor kinds of 001_foundation.sql. */
export type FactorKindName = "totp" | "hotp" | "webauthn" | "passwordless";
export const FACTOR_KINDS: readonly FactorKindName[] = ["totp", "hotp", "webauthn", "passwordless"];

/** A factor as an administrator sees it: its shape and history, never its secret. */
export interface AdminFactorView {
  id: string;
  kind: FactorKindName;
  label: string;
  state: "pending" | "active";
  createdAt: Date;
  confirmedAt: Date | undefined;
  lastUsedAt: Date | undefined;
  pendingExpiresAt: Date | undefined;
  algorithm: "SHA1" | "SHA256" | "SHA512" | undefined;
  digits: number | undefined;
  periodSeconds: number | undefined;
  /** TOTP: learned offset in seconds (drift steps × period). Otherwise 0. */
  driftSeconds: number;
  tokenProfile: string;
  /** HOTP: the next counter value expected. */
  counter: number | undefined;
}

interface FactorRow {
  id: string;
  kind: FactorKindName;
  label: string;
  state: "pending" | "active";
  created_at: Date;
  confirmed_at: Date | null;
  last_used_at: Date | null;
  pending_expires_at: Date | null;
  algorithm: "SHA1" | "SHA256" | "SHA512" | null;
  digits: number | null;
  period_seconds: number | null;
  drift_steps: number;
  token_profile: string;
  last_step: number;
}

/**
 * Every factor row of the user, pending ones too (an admin wants to see an
 * enrolment left half-done), oldest first. Selects named columns only, so the
 * sealed secret never leaves the database on this path.
 */
export async function selectUserFactors(q: Queryable, tenant: string, userId: string): Promise<AdminFactorView[]> {
  const r = await q.query<FactorRow>(
    `SELECT id::text AS id, kind, label, state, created_at, confirmed_at, last_used_at, pending_expires_at,
            algorithm, digits, period_seconds, drift_steps, token_profile, last_step
     FROM factors WHERE tenant_id = $1::text AND user_id = $2::text
     ORDER BY created_at, id`,
    [tenant, userId],
  );
  return r.rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    label: row.label,
    state: row.state,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at ?? undefined,
    lastUsedAt: row.last_used_at ?? undefined,
    pendingExpiresAt: row.state === "pending" ? (row.pending_expires_at ?? undefined) : undefined,
    algorithm: row.algorithm ?? undefined,
    digits: row.digits ?? undefined,
    periodSeconds: row.period_seconds ?? undefined,
    driftSeconds: row.kind === "totp" ? row.drift_steps * (row.period_seconds ?? 30) : 0,
    tokenProfile: row.token_profile,
    counter: row.kind === "hotp" ? row.last_step + 1 : undefined,
  }));
}
