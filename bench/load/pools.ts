/**
 * Which user logs in next. A user has at most one login in flight; a TOTP
 * user logs in at most once per 30 s step (the service accepts each step
 * once per factor, RFC 6238 §5.2), so TOTP users wait for their next step;
 * wrong proofs go to users whose failures since their last success stay
 * below the throttle's free allowance, so no login is ever throttled.
 */
import { currentStep, type LoadUser, type TotpUser } from "./users.js";

/** The throttle lets 5 consecutive failures through (docs: "Login flow"); stay well below. */
export const MAX_FAILURES_IN_A_ROW = 3;

/** One kind's users. */
export class UserPool<U extends LoadUser> {
  readonly users: U[];
  #ready: U[] = [];
  #head = 0;
  #waiting = new Map<number, U[]>();
  #wrongCursor = 0;
  /** Users in the ready queue or a waiting bucket; one taken while queued is dropped from it and placed again when given back. */
  readonly #queued = new Set<U>();
  readonly #timed: boolean;
  readonly #now: () => number;

  /** `now` is the host clock (ms), a parameter so tests can pin it. */
  constructor(users: U[], now: () => number = Date.now) {
    this.users = users;
    this.#now = now;
    this.#timed = users[0]?.kind === "totp";
    const step = currentStep(now());
    for (const u of users) this.#place(u, step);
  }

  /** A user for a login with a correct proof, or undefined when none can log in right now. */
  takeCorrect(): U | undefined {
    if (this.#timed) this.#release(currentStep(this.#now()));
    while (this.#head < this.#ready.length) {
      const u = this.#ready[this.#head++] as U;
      if (this.#head > 1024 && this.#head * 2 > this.#ready.length) {
        this.#ready = this.#ready.slice(this.#head);
        this.#head = 0;
      }
      this.#queued.delete(u);
      if (u.busy) continue; // taken for a wrong proof meanwhile; placed again when given back
      u.busy = true;
      return u;
    }
    return undefined;
  }

  /** A user for a login with a wrong proof (any step will do), or undefined when all are busy or at their allowance. */
  takeWrong(): U | undefined {
    const n = this.users.length;
    for (let i = 0; i < n; i++) {
      const u = this.users[this.#wrongCursor] as U;
      this.#wrongCursor = (this.#wrongCursor + 1) % n;
      if (!u.busy && u.failures < MAX_FAILURES_IN_A_ROW) {
        u.busy = true;
        return u;
      }
    }
    return undefined;
  }

  /** Returns a user after its login (a TOTP user's `nextStep` already moved on if it used a step). */
  giveBack(u: U): void {
    u.busy = false;
    if (!this.#queued.has(u)) this.#place(u, currentStep(this.#now()));
  }

  /** Milliseconds until the next TOTP step, when a waiting user may become ready (0 for untimed pools). */
  msToNextStep(): number {
    return this.#timed ? 30_000 - (this.#now() % 30_000) : 0;
  }

  #place(u: U, step: number): void {
    this.#queued.add(u);
    if (!this.#timed) {
      this.#ready.push(u);
      return;
    }
    const next = (u as unknown as TotpUser).nextStep;
    if (next <= step) {
      this.#ready.push(u);
      return;
    }
    const bucket = this.#waiting.get(next);
    if (bucket === undefined) this.#waiting.set(next, [u]);
    else bucket.push(u);
  }

  #release(step: number): void {
    for (const [s, bucket] of this.#waiting) {
      if (s > step) continue;
      this.#waiting.delete(s);
      for (const u of bucket) this.#ready.push(u);
    }
  }
}
