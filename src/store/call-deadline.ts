import { performance } from "node:perf_hooks";

/** How a statement that could commit ended, as far as the caller can tell. */
export type CommitOutcome = "committed" | "rolled_back" | "unknown";

/**
 * The deadline of the RPC a statement runs for, carried from the transport to
 * the database layer inside the call's view of the database
 * (`Db.during(deadline)`, which the rpc layer puts in the deps it hands the
 * domain), so domain signatures do not carry it. Not an AsyncLocalStorage:
 * on Node 20 one in use puts a hook on every promise the process makes,
 * which cost the server about 7 % of its CPU per login.
 *
 * The rule it serves: an answer of DEADLINE_EXCEEDED means nothing changed.
 * So the database layer asks `beginCommit()` before any statement that can
 * commit and refuses to start once the deadline has passed, and the
 * transport, when its deadline timer fires, answers at once only if no such
 * statement is running and none has committed (`mustFinish`); otherwise it
 * waits for the handler and sends its real result.
 */
export class CallDeadline {
  private abortReason: unknown = undefined;
  private isAborted = false;
  private abortTime = 0;
  private listeners: Set<(reason: unknown) => void> | undefined;
  private controller: AbortController | undefined;
  private commitsInFlight = 0;
  private didCommit = false;

  /** `deadlineAt` is a performance.now() time. */
  constructor(readonly deadlineAt: number) {}

  /** Milliseconds left before the deadline; negative once it has passed. */
  remainingMs(): number {
    return this.deadlineAt - performance.now();
  }

  /** True once the deadline passed or the call was cancelled (client gone, server shutting down). */
  get aborted(): boolean {
    return this.isAborted;
  }

  get reason(): unknown {
    return this.abortReason;
  }

  /** performance.now() when the call was aborted; 0 before. */
  get abortedAt(): number {
    return this.abortTime;
  }

  /** An AbortSignal for code that wants one; made on first use, since most calls never ask. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.isAborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** True once a statement of this call committed, or may have (its connection broke mid-commit). */
  get committed(): boolean {
    return this.didCommit;
  }

  /**
   * The transport must wait for the handler instead of answering
   * DEADLINE_EXCEEDED: a statement that can commit is running, or one has.
   */
  get mustFinish(): boolean {
    return this.didCommit || this.commitsInFlight > 0;
  }

  /** Ends the call's time: statements are cancelled and no new commit starts. Idempotent. */
  abort(reason: unknown): void {
    if (this.isAborted) return;
    this.isAborted = true;
    this.abortReason = reason;
    this.abortTime = performance.now();
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners !== undefined) for (const l of listeners) l(reason);
  }

  /** Calls `listener` when the call is aborted; returns the unsubscribe. Cheaper than an AbortSignal listener. */
  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.isAborted) {
      listener(this.abortReason);
      return () => undefined;
    }
    this.listeners ??= new Set();
    this.listeners.add(listener);
    return () => this.listeners?.delete(listener);
  }

  /**
   * Called before a statement that can commit. False (start nothing) when the
   * call is over and has committed nothing yet; a call that has committed runs
   * to its end, so its answer reports what it did.
   */
  beginCommit(): boolean {
    if (this.isAborted && !this.didCommit) return false;
    this.commitsInFlight++;
    return true;
  }

  /** Called once the statement begun with beginCommit() has settled. */
  endCommit(outcome: CommitOutcome): void {
    this.commitsInFlight--;
    if (outcome !== "rolled_back") this.didCommit = true;
  }
}

/**
 * The error a statement is refused or cancelled with when its call's time is
 * up: SQLSTATE 57014 (query_canceled), the code Postgres itself uses for a
 * statement timeout, so the rpc layer maps both the same way.
 */
export function deadlineError(): Error {
  return Object.assign(new Error("statement not run: the call's deadline has passed"), { code: "57014" });
}
