/** Why a wait for a pool slot ended without one. */
export type SlotRefusal = "deadline" | "timeout";

interface Waiter {
  grant(): void;
}

/**
 * A counting semaphore in front of the pg pool, so that a caller's wait for a
 * connection can end with its deadline. pg-pool's own queue only knows one
 * pool-wide timeout and keeps an abandoned waiter queued until a connection
 * frees up; here an abandoned waiter leaves the queue at once, and the pool
 * itself never queues (at most `size` connections are ever asked of it).
 */
export class PoolSlots {
  private free: number;
  private readonly waiters = new Set<Waiter>();

  constructor(size: number) {
    this.free = size;
  }

  /** Takes a slot at once if one is free and nobody waits; the common case costs no promise. */
  tryTake(): boolean {
    if (this.free > 0 && this.waiters.size === 0) {
      this.free--;
      return true;
    }
    return false;
  }

  /**
   * Waits for a slot, first come first served, for at most `timeoutMs`, and
   * no longer than until `onAbort` fires. Resolves undefined with the slot
   * taken, or with the reason it gave up.
   */
  take(timeoutMs: number, onAbort: ((listener: () => void) => () => void) | undefined): Promise<SlotRefusal | undefined> {
    if (this.tryTake()) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let unsubscribe: () => void = () => undefined;
      const settle = (outcome: SlotRefusal | undefined): void => {
        this.waiters.delete(waiter);
        clearTimeout(timer);
        unsubscribe();
        resolve(outcome);
      };
      const waiter: Waiter = { grant: () => settle(undefined) };
      const timer = setTimeout(() => settle("timeout"), Math.max(0, timeoutMs));
      this.waiters.add(waiter);
      if (onAbort !== undefined) unsubscribe = onAbort(() => settle("deadline"));
    });
  }

  /** Returns a slot: to the longest waiter if there is one. */
  give(): void {
    const next = this.waiters.values().next();
    if (next.done === true) {
      this.free++;
      return;
    }
    next.value.grant();
  }
}
