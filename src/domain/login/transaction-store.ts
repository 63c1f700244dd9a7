import type { Queryable } from "../../store/db.js";
import type { Statement } from "../../store/statement.js";

/**
 * The login_transactions table's SQL, as the parts Challenge and Verify
 * compose into their statements.
 */

/** Why a transaction was opened, as stored in login_transactions.purpose. */
export type Purpose = "second_factor" | "passwordless";

/** Attempts one transaction allows before it is used up. */
export const MAX_TRANSACTION_ATTEMPTS = 5;
/** How long a transaction stays open. */
export const TRANSACTION_TTL_MS = 5 * 60 * 1000;

/** A CTE body opening a transaction for the statement's user; the id is a fresh UUID, so the insert cannot collide. */
export function insertTransactionCte(s: Statement, t: { id: string; purpose: Purpose; expiresAt: Date; challenge: string | undefined }): string {
  return `INSERT INTO login_transactions (tenant_id, user_id, id, purpose, created_at, expires_at, challenge)
    VALUES (${s.ref("tenant")}, ${s.ref("user")}, ${s.named("transaction", t.id, "uuid")}, ${s.param(t.purpose, "text")},
            ${s.ref("now")}, ${s.param(t.expiresAt, "timestamptz")}, ${s.param(t.challenge ?? null, "text")})
    RETURNING id`;
}

/**
 * A CTE body counting one attempt against an open transaction: one
 * conditional UPDATE, so concurrent attempts can never exceed the limit. No
 * row when the transaction is unknown, expired, spent or out of attempts.
 */
export function claimAttemptCte(s: Statement): string {
  const [tenant, id, now] = [s.ref("tenant"), s.ref("transaction"), s.ref("now")];
  return `UPDATE login_transactions SET attempts = attempts + 1
    WHERE tenant_id = ${tenant} AND id = ${id}
      AND spent_at IS NULL AND expires_at > ${now} AND attempts < ${s.param(MAX_TRANSACTION_ATTEMPTS, "integer")}
    RETURNING user_id, purpose, challenge`;
}

/**
 * claimAttemptCte and spendCte in one UPDATE, for a statement that judges
 * the attempt before it writes: the attempt is counted while `when` holds,
 * and the transaction is spent in the same row change when `spendWhen`
 * (which may read earlier parts, a burn) holds. Returns `spent`.
 */
export function claimAndSpendCte(s: Statement, when: string, spendWhen: string): string {
  const [tenant, id, now] = [s.ref("tenant"), s.ref("transaction"), s.ref("now")];
  return `UPDATE login_transactions SET attempts = attempts + 1, spent_at = CASE WHEN ${spendWhen} THEN ${now} END
    WHERE tenant_id = ${tenant} AND id = ${id}
      AND spent_at IS NULL AND expires_at > ${now} AND attempts < ${s.param(MAX_TRANSACTION_ATTEMPTS, "integer")} AND ${when}
    RETURNING spent_at IS NOT NULL AS spent`;
}

/**
 * A CTE body: the transaction as the statement's snapshot saw it, to say why
 * a claim failed; one lookup, read by transactionStateColumns.
 */
export function transactionStateCte(s: Statement): string {
  return `SELECT user_id, purpose, expires_at, spent_at, attempts FROM login_transactions WHERE tenant_id = ${s.ref("tenant")} AND id = ${s.ref("transaction")}`;
}

/**
 * For a statement that reads the transaction once, as columns of its own
 * row: a FROM item that is always one row, the transaction joined to it
 * when it exists (alias `t`), and the select-list entries over it:
 * `claimable`, whether, as the statement's snapshot sees it, the transaction
 * is a second-factor one of `userSql` open to one more attempt (what
 * claimAttemptCte checks on the row itself), and the columns of
 * transactionStateColumns.
 */
export function transactionRowSql(s: Statement, userSql: string): { from: string; columns: string } {
  const now = s.ref("now");
  return {
    from: `(SELECT) one LEFT JOIN login_transactions t ON t.tenant_id = ${s.ref("tenant")} AND t.id = ${s.ref("transaction")}`,
    columns: [
      `COALESCE(t.spent_at IS NULL AND t.expires_at > ${now} AND t.attempts < ${s.param(MAX_TRANSACTION_ATTEMPTS, "integer")}
        AND t.user_id = ${userSql} AND t.purpose = 'second_factor', false) AS claimable`,
      "t.expires_at AS h_tx_expires_at",
      "t.spent_at AS h_tx_spent_at",
      "t.attempts AS h_tx_attempts",
    ].join(", "),
  };
}

/** Select-list entries reading the CTE `name` (a transactionStateCte). */
export function transactionStateColumns(name: string): string {
  return [
    `(SELECT expires_at FROM ${name}) AS h_tx_expires_at`,
    `(SELECT spent_at FROM ${name}) AS h_tx_spent_at`,
    `(SELECT attempts FROM ${name}) AS h_tx_attempts`,
  ].join(", ");
}

/**
 * A CTE body spending the transaction when `when` holds: single use, so of
 * any number of concurrent spenders one gets the row.
 */
export function spendCte(s: Statement, when: string): string {
  const [tenant, id, now] = [s.ref("tenant"), s.ref("transaction"), s.ref("now")];
  return `UPDATE login_transactions SET spent_at = ${now}
    WHERE tenant_id = ${tenant} AND id = ${id} AND spent_at IS NULL AND expires_at > ${now} AND ${when}
    RETURNING id`;
}

/**
 * Deletes up to `limit` transactions that expired before `before` and
 * returns how many went. Rows a running Verify holds are skipped (the next
 * sweep takes them), so replicas sweeping at once wait neither for each other
 * nor for a login.
 */
export async function deleteExpiredTransactions(q: Queryable, before: Date, limit: number): Promise<number> {
  const r = await q.query(
    `DELETE FROM login_transactions WHERE ctid = ANY (ARRAY(
       SELECT ctid FROM login_transactions WHERE expires_at < $1::timestamptz LIMIT $2::integer FOR UPDATE SKIP LOCKED))`,
    [before, limit],
    { name: "tf_sweep_login_transactions" },
  );
  return r.rowCount;
}
