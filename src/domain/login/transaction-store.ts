import type { Queryable } from "../../store/db.js";
import { isUuid } from "../factors/factor-store.js";

/** Why a transaction was opened, as stored in login_transactions.purpose. */
export type Purpose = "second_factor" | "passwordless";

/** Attempts one transaction allows before it is used up. */
export const MAX_TRANSACTION_ATTEMPTS = 5;
/** How long a transaction stays open. */
export const TRANSACTION_TTL_MS = 5 * 60 * 1000;

/** Opens a transaction row; the id is a fresh UUID, so the insert cannot collide. */
export async function insertTransaction(
  q: Queryable,
  t: { tenant: string; userId: string; id: string; purpose: Purpose; createdAt: Date; expiresAt: Date; challenge?: string | undefined },
): Promise<void> {
  await q.query(
    `INSERT INTO login_transactions (tenant_id, user_id, id, purpose, created_at, expires_at, challenge)
     VALUES ($1::text, $2::text, $3::uuid, $4::text, $5::timestamptz, $6::timestamptz, $7::text)`,
    [t.tenant, t.userId, t.id, t.purpose, t.createdAt, t.expiresAt, t.challenge ?? null],
  );
}

/**
 * Counts one attempt against an open transaction: one conditional UPDATE, so
 * concurrent attempts can never exceed the limit. Undefined when the
 * transaction is unknown, expired, spent or out of attempts.
 */
export async function claimAttempt(
  q: Queryable,
  tenant: string,
  id: string,
  now: Date,
): Promise<{ userId: string; purpose: Purpose; challenge: string | undefined } | undefined> {
  if (!isUuid(id)) return undefined;
  const result = await q.query<{ user_id: string; purpose: Purpose; challenge: string | null }>(
    `UPDATE login_transactions SET attempts = attempts + 1
     WHERE tenant_id = $1::text AND id = $2::uuid
       AND spent_at IS NULL AND expires_at > $3::timestamptz AND attempts < $4::integer
     RETURNING user_id, purpose, challenge`,
    [tenant, id, now, MAX_TRANSACTION_ATTEMPTS],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : { userId: row.user_id, purpose: row.purpose, challenge: row.challenge ?? undefined };
}

/** Why a transaction cannot take an attempt, for the error; read only after the claim failed. */
export async function transactionProblem(
  q: Queryable,
  tenant: string,
  id: string,
  now: Date,
): Promise<"unknown" | "expired" | "spent" | "exhausted" | undefined> {
  if (!isUuid(id)) return "unknown";
  const result = await q.query<{ expires_at: Date; spent_at: Date | null; attempts: number }>(
    `SELECT expires_at, spent_at, attempts FROM login_transactions WHERE tenant_id = $1::text AND id = $2::uuid`,
    [tenant, id],
  );
  const row = result.rows[0];
  if (row === undefined) return "unknown";
  if (row.spent_at !== null) return "spent";
  if (row.expires_at.getTime() <= now.getTime()) return "expired";
  if (row.attempts >= MAX_TRANSACTION_ATTEMPTS) return "exhausted";
  return undefined;
}

/** Spends the transaction: true for the one caller that gets it (single use). */
export async function spendTransaction(q: Queryable, tenant: string, id: string, now: Date): Promise<boolean> {
  const result = await q.query(
    `UPDATE login_transactions SET spent_at = $3::timestamptz
     WHERE tenant_id = $1::text AND id = $2::uuid AND spent_at IS NULL AND expires_at > $3::timestamptz
     RETURNING id`,
    [tenant, id, now],
  );
  return result.rows.length === 1;
}
