import type { Db } from "./db.js";

/** Options of a NotifiedCache. */
export interface NotifiedCacheOptions {
  /** How long an entry is trusted without asking the database again (a bound, not the invalidation path). */
  ttlMs: number;
  /** Most entries kept; the oldest goes first. */
  maxEntries: number;
  /** Milliseconds on the service's clock. */
  now(): number;
}

/**
 * Answers the database gave, kept on this replica and dropped on every
 * replica when a statement that changes them announces it on a NOTIFY
 * channel (docs/design.md "Database round trips"): NOTIFY is delivered when
 * the announcing statement commits, so every replica hears of the change
 * within the notification's delivery time.
 *
 * While the LISTEN connection is down a notification may be missed, so
 * nothing is trusted until it is back (get answers undefined, set stores
 * nothing), and the cache starts empty again then. An answer looked up
 * before a notification arrived is never stored after it: take mark()
 * before the lookup and hand it to set().
 */
export class NotifiedCache<V> {
  readonly #entries = new Map<string, { value: V; until: number }>();
  #trusted = false;
  // Bumped by every event that may make an answer being looked up stale.
  #generation = 0;
  #subscription: { close(): Promise<void> } | undefined;

  private constructor(private readonly opts: NotifiedCacheOptions) {}

  /**
   * Listens on `channel`; each notification drops the entries `stale` says
   * its payload concerns. Resolves once the first attempt to listen is made.
   */
  static async open<V>(
    db: Pick<Db, "listen">,
    channel: string,
    stale: (payload: string, key: string, value: V) => boolean,
    opts: NotifiedCacheOptions,
  ): Promise<NotifiedCache<V>> {
    const cache = new NotifiedCache<V>(opts);
    cache.#subscription = await db.listen(channel, {
      message: (payload) => {
        cache.#generation++;
        for (const [key, e] of cache.#entries) if (stale(payload, key, e.value)) cache.#entries.delete(key);
      },
      up: () => {
        cache.#forgetAll();
        cache.#trusted = true;
      },
      down: () => {
        cache.#trusted = false;
        cache.#forgetAll();
      },
    });
    return cache;
  }

  /** The entry, while the cache is trusted and the entry young enough. */
  get(key: string): V | undefined {
    if (!this.#trusted) return undefined;
    const e = this.#entries.get(key);
    return e !== undefined && e.until > this.opts.now() ? e.value : undefined;
  }

  /** What set() is to be given for an answer looked up from now on. */
  mark(): number {
    return this.#generation;
  }

  /** Keeps the answer of a lookup that began at `mark`, unless something may have changed it since. */
  set(key: string, value: V, mark: number): void {
    if (!this.#trusted || mark !== this.#generation) return;
    if (!this.#entries.has(key) && this.#entries.size >= this.opts.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, until: this.opts.now() + this.opts.ttlMs });
  }

  /** Drops the entry now, for a change this replica made itself (its own notification follows). */
  forget(key: string): void {
    this.#generation++;
    this.#entries.delete(key);
  }

  close(): Promise<void> {
    return this.#subscription?.close() ?? Promise.resolve();
  }

  #forgetAll(): void {
    this.#entries.clear();
    this.#generation++;
  }
}
