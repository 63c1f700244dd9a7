import type { FactorRow } from "../factors/index.js";
import type { ProviderPolicy } from "../policy/index.js";

/**
 * What a replica remembers of a second-factor Challenge it answered, so that
 * a Verify of the same transaction reaching the same replica can judge an
 * OTP code in memory and settle it in one statement (verify-remembered.ts,
 * docs/design.md "Database round trips"). Everything here is what
 * Challenge's one statement read; the Verify statement checks that none of
 * it changed before it writes.
 */
export interface RememberedChallenge {
  tenant: string;
  transactionId: string;
  userId: string;
  expiresAt: Date;
  /** The user's active TOTP and HOTP factors, oldest first, with their sealed secrets. */
  candidates: readonly FactorRow[];
  /** The candidates' row versions (otpRowVersions). */
  candidateVersions: string;
  /** The provider policy and its row version (providerPolicyVersionSql). */
  policy: ProviderPolicy;
  policyVersion: string;
}

/** Transactions remembered at most by default (TWOFOLD_CHALLENGE_MEMORY): ten seconds of unanswered challenges at 1,000/s. */
const MEMORY_CAPACITY = 10_000;

/**
 * A bounded, process-local map of remembered Challenges. Each entry is taken
 * (and forgotten) by the first Verify of its transaction; an entry nobody
 * takes leaves when it expires or when newer ones push it out, oldest first.
 * Forgetting is always safe: a Verify that finds nothing takes the
 * two-statement path, which reads everything afresh.
 */
export class ChallengeMemory {
  readonly #entries = new Map<string, RememberedChallenge>();

  constructor(readonly capacity = MEMORY_CAPACITY) {}

  remember(entry: RememberedChallenge): void {
    if (this.capacity <= 0) return;
    while (this.#entries.size >= this.capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key(entry.tenant, entry.transactionId), entry);
  }

  /** The entry of the tenant's transaction, forgotten as it is handed out; none once it expired. */
  take(tenant: string, transactionId: string, now: Date): RememberedChallenge | undefined {
    const k = key(tenant, transactionId);
    const entry = this.#entries.get(k);
    if (entry === undefined) return undefined;
    this.#entries.delete(k);
    return entry.expiresAt.getTime() > now.getTime() ? entry : undefined;
  }

  get size(): number {
    return this.#entries.size;
  }
}

function key(tenant: string, transactionId: string): string {
  // The id is a UUID (Verify checks before it looks), so no two pairs share a key.
  return `${tenant}\u0000${transactionId}`;
}
