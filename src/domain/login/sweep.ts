import type { Logger } from "pino";
import type { Queryable } from "../../store/db.js";
import type { Clock } from "../clock.js";
import { deleteExpiredTransactions } from "./transaction-store.js";

/**
 * How long an expired login transaction is kept: a Verify that comes late
 * within this time still hears TRANSACTION_EXPIRED rather than NOT_FOUND.
 */
export const EXPIRED_TRANSACTION_KEPT_MS = 60 * 60 * 1000;
/** Rows one sweep statement deletes at most, so no sweep holds many locks or a long transaction. */
const SWEEP_BATCH = 5_000;
/** Statements one sweep runs at most; a backlog larger than this is left to the next sweeps. */
const SWEEP_MAX_BATCHES = 20;

/**
 * Deletes the login transactions that expired more than
 * EXPIRED_TRANSACTION_KEPT_MS ago, in batches; returns how many went. Every
 * Challenge inserts one, so without this the table only grows.
 */
export async function sweepExpiredTransactions(deps: { db: Queryable; clock: Clock }): Promise<number> {
  const before = new Date(deps.clock.now().getTime() - EXPIRED_TRANSACTION_KEPT_MS);
  let total = 0;
  for (let i = 0; i < SWEEP_MAX_BATCHES; i++) {
    const n = await deleteExpiredTransactions(deps.db, before, SWEEP_BATCH);
    total += n;
    if (n < SWEEP_BATCH) break;
  }
  return total;
}

/**
 * Runs sweepExpiredTransactions every `intervalMs` (default a minute) while
 * the service serves; every replica may run one. A failed sweep is logged
 * and the next one tries again. `stop` waits for a sweep under way.
 */
export function startTransactionSweeper(
  deps: { db: Queryable; clock: Clock; logger: Logger },
  intervalMs = 60_000,
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running !== undefined) return;
    running = sweepExpiredTransactions(deps)
      .then(
        (deleted) => {
          if (deleted > 0) deps.logger.debug({ deleted }, "swept expired login transactions");
        },
        (err: unknown) => deps.logger.warn({ err }, "sweeping expired login transactions failed"),
      )
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
