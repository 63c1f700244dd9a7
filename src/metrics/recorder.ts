import { Code } from "@connectrpc/connect";
import type { Counter, Histogram } from "prom-client";
import { createSeries, type PoolStats, type Series } from "./series.js";

/** The most label combinations one series may grow to before new ones count as "other": a guard, not a budget. */
const MAX_LABEL_VALUES = 512;
const LABEL_VALUE = /^[A-Za-z0-9_./-]{1,120}$/;

/** `Code.ResourceExhausted` → `resource_exhausted`; 0 → `ok`, as the rpc log line spells codes. */
function codeName(code: number): string {
  if (code === 0) return "ok";
  const name = Code[code] as string | undefined;
  return name === undefined ? "unknown" : name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/** How a login Verify reached the database: the `path` label of twofold_login_verify_paths_total (series.ts says what each is). */
const VERIFY_PATHS = ["remembered", "remembered_changed", "remembered_fallback", "read_write"] as const;
export type VerifyPath = (typeof VERIFY_PATHS)[number];

/**
 * What the service reports to metrics. Hooks call these from the hot path,
 * so each is a map lookup and an increment; label children are made once.
 */
export interface Metrics {
  /** A finished RPC: `package.Service/Method`, its gRPC code (0 = OK), and its duration. */
  rpc(method: string, code: number, durationMs: number): void;
  /** A verification outcome: provider (`totp`, `hotp`, `webauthn`, `backup_code`, …) and `verified` or the failure reason. */
  verification(provider: string, reason: string): void;
  /** An attempt refused because the user must wait (RESOURCE_EXHAUSTED). */
  throttleRefusal(): void;
  /** An API-key check answered by the cache (`hit`) or by Postgres (`miss`). */
  apiKeyCache(result: "hit" | "miss"): void;
  /** A login Verify that reached the database, by its path. */
  verifyPath(path: VerifyPath): void;
  /** One Postgres statement's duration. */
  statement(durationMs: number): void;
  /** Adds a Postgres pool to the pool gauges; the returned function removes it (on close). */
  watchPool(stats: PoolStats): () => void;
  /** The series, for the /metrics endpoint. */
  readonly series: Series;
}

/** A Metrics over a registry of its own. */
export function createMetrics(): Metrics {
  const pools = new Set<PoolStats>();
  const series = createSeries(pools);
  const rpcChildren = new Map<string, Histogram.Internal<"method" | "code">>();
  const verificationChildren = new Map<string, Counter.Internal>();
  const bounded = (value: string, seen: Map<string, unknown>): string =>
    LABEL_VALUE.test(value) && (seen.size < MAX_LABEL_VALUES || seen.has(value)) ? value : "other";
  const hit = series.apiKeyCache.labels("hit");
  const miss = series.apiKeyCache.labels("miss");
  // Both results exist from the start, so a rate over them is defined before the first lookup.
  hit.inc(0);
  miss.inc(0);
  // Every path exists from the start too, so a share of one is defined before it first happens.
  const paths = new Map(VERIFY_PATHS.map((path) => [path, series.verifyPaths.labels(path)] as const));
  for (const child of paths.values()) child.inc(0);

  return {
    series,
    rpc(method, code, durationMs) {
      const key = `${method} ${code}`;
      let child = rpcChildren.get(key);
      if (child === undefined) {
        child = series.rpcDuration.labels(bounded(method, rpcChildren), codeName(code));
        rpcChildren.set(key, child);
      }
      child.observe(durationMs / 1000);
    },
    verification(provider, reason) {
      const key = `${provider} ${reason}`;
      let child = verificationChildren.get(key);
      if (child === undefined) {
        child = series.verifications.labels(bounded(provider, verificationChildren), bounded(reason, verificationChildren));
        verificationChildren.set(key, child);
      }
      child.inc();
    },
    throttleRefusal() {
      series.throttleRefusals.inc();
    },
    apiKeyCache(result) {
      (result === "hit" ? hit : miss).inc();
    },
    verifyPath(path) {
      paths.get(path)?.inc();
    },
    statement(durationMs) {
      series.statementDuration.observe(durationMs / 1000);
    },
    watchPool(stats) {
      pools.add(stats);
      return () => pools.delete(stats);
    },
  };
}
