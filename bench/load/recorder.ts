/**
 * What a load phase records: every RPC's latency and status, every login's
 * kind, latency and whether its outcome was the expected one, and logins
 * completed per time slice. Only calls that end inside the measuring window
 * count; warm-up and drain are left out.
 */
import { LOGIN_KINDS, type LoginKind } from "./mix.js";

/** A login's outcome against what was expected of it. */
export type Outcome = { expected: true } | { expected: false; why: string };

/** Per-kind login counts. */
export interface KindCounts {
  /** Correct proofs that were verified. */
  verified: number;
  /** Wrong proofs that were refused with the expected reason. */
  refusedAsExpected: number;
  /** Anything else, by description (an RPC status, a wrong reason, a missing provider). */
  unexpected: Map<string, number>;
  latenciesMs: number[];
}

/** Records one phase; `open()` starts the window, `close()` ends it. */
export class Recorder {
  readonly rpcLatencies = new Map<string, number[]>();
  readonly rpcStatuses = new Map<string, Map<string, number>>();
  readonly kinds = new Map<LoginKind, KindCounts>();
  /** Logins completed per slice of `sliceMs`, from the window's start. */
  readonly timeline: number[] = [];
  readonly sliceMs: number;
  #start = Number.NaN;
  #end = Number.NaN;

  constructor(sliceMs = 1000) {
    this.sliceMs = sliceMs;
    for (const k of LOGIN_KINDS) this.kinds.set(k, { verified: 0, refusedAsExpected: 0, unexpected: new Map(), latenciesMs: [] });
  }

  open(now = performance.now()): void {
    this.#start = now;
  }

  close(now = performance.now()): void {
    this.#end = now;
  }

  /** Whether `t` (performance.now()) is inside the window. */
  inWindow(t: number): boolean {
    return t >= this.#start && !(t > this.#end);
  }

  /** Seconds the window lasted (so far, if still open). */
  seconds(now = performance.now()): number {
    const end = Number.isNaN(this.#end) ? now : this.#end;
    return Number.isNaN(this.#start) ? 0 : (end - this.#start) / 1000;
  }

  /** One RPC that ended at `end` after `ms`, with its gRPC status name. */
  rpc(name: string, ms: number, status: string, end = performance.now()): void {
    if (!this.inWindow(end)) return;
    let l = this.rpcLatencies.get(name);
    if (l === undefined) this.rpcLatencies.set(name, (l = []));
    l.push(ms);
    let s = this.rpcStatuses.get(name);
    if (s === undefined) this.rpcStatuses.set(name, (s = new Map()));
    s.set(status, (s.get(status) ?? 0) + 1);
  }

  /** One login that ended at `end`. */
  login(kind: LoginKind, wrong: boolean, ms: number, outcome: Outcome, end = performance.now()): void {
    if (!this.inWindow(end)) return;
    const k = this.kinds.get(kind) as KindCounts;
    k.latenciesMs.push(ms);
    if (outcome.expected) {
      if (wrong) k.refusedAsExpected++;
      else k.verified++;
    } else {
      k.unexpected.set(outcome.why, (k.unexpected.get(outcome.why) ?? 0) + 1);
    }
    const slice = Math.floor((end - this.#start) / this.sliceMs);
    while (this.timeline.length <= slice) this.timeline.push(0);
    this.timeline[slice] = (this.timeline[slice] ?? 0) + 1;
  }

  /** Logins recorded, all kinds. */
  logins(): number {
    let n = 0;
    for (const k of this.kinds.values()) n += k.latenciesMs.length;
    return n;
  }

  /** Logins whose outcome was not the expected one, plus RPCs that did not answer OK. */
  unexpected(): number {
    let n = 0;
    for (const k of this.kinds.values()) for (const c of k.unexpected.values()) n += c;
    return n;
  }
}
