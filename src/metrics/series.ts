import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Latency buckets in seconds: a second-factor call answers in about a
 * millisecond when the database is near, and is cut at the request timeout
 * (10 s by default).
 */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Reads one Postgres store's counts at scrape time: its pool, and its
 * pipelined connections (src/store/pg-pipeline.ts) with the statements
 * written on them and not yet answered.
 */
export type PoolStats = () => { total: number; idle: number; waiting: number; max: number; pipelines: number; pipelined: number };

/**
 * Every twofold series, in a registry of its own (not prom-client's global
 * one, so nothing else in the process adds to it). Labels are closed sets:
 * method and code, provider and reason, hit or miss. Never a user, a tenant
 * or anything a caller chooses, which would make cardinality unbounded and put
 * identities in a monitoring system.
 */
export function createSeries(pools: ReadonlySet<PoolStats>) {
  const registry = new Registry();
  const sum = (pick: (s: ReturnType<PoolStats>) => number): number => {
    let n = 0;
    for (const p of pools) n += pick(p());
    return n;
  };
  const poolGauge = (name: string, help: string, pick: (s: ReturnType<PoolStats>) => number): Gauge =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(sum(pick));
      },
    });
  return {
    registry,
    rpcDuration: new Histogram({
      name: "twofold_rpc_duration_seconds",
      help: "Finished RPCs by method and gRPC code, and how long each took (its _count is the RPC counter).",
      labelNames: ["method", "code"] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    verifications: new Counter({
      name: "twofold_verifications_total",
      help: "Verification outcomes by provider and reason (reason \"verified\" for a success).",
      labelNames: ["provider", "reason"] as const,
      registers: [registry],
    }),
    throttleRefusals: new Counter({
      name: "twofold_throttle_refusals_total",
      help: "Attempts refused with RESOURCE_EXHAUSTED because the user is waiting out earlier failures.",
      registers: [registry],
    }),
    apiKeyCache: new Counter({
      name: "twofold_api_key_cache_lookups_total",
      help: "API-key checks answered from the replica's cache (hit) or from Postgres (miss).",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    verifyPaths: new Counter({
      name: "twofold_login_verify_paths_total",
      help: "Login Verify calls by the way they reached the database: remembered (one statement), remembered_changed (factors or policy changed since the Challenge: two), remembered_fallback (remembered, but handed to the two-statement path: a factor named that the Challenge did not read, or a row changed under the one statement), read_write (the two statements: no Challenge remembered here, or a proof other than an OTP code).",
      labelNames: ["path"] as const,
      registers: [registry],
    }),
    statementDuration: new Histogram({
      name: "twofold_db_statement_duration_seconds",
      help: "Postgres statements (pg backend), from send to result or error.",
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    poolInUse: poolGauge("twofold_db_pool_in_use_connections", "Pool connections checked out by a statement or transaction.", (s) => s.total - s.idle),
    poolIdle: poolGauge("twofold_db_pool_idle_connections", "Pool connections open and free.", (s) => s.idle),
    poolWaiting: poolGauge("twofold_db_pool_waiting_requests", "Statements waiting for a free pool connection.", (s) => s.waiting),
    poolMax: poolGauge("twofold_db_pool_max_connections", "The pools' size limit (TWOFOLD_DB_POOL_SIZE).", (s) => s.max),
    pipelines: poolGauge("twofold_db_pipeline_connections", "Pipelined connections open (at most TWOFOLD_DB_PIPELINES).", (s) => s.pipelines),
    pipelined: poolGauge("twofold_db_pipeline_in_flight_statements", "Statements written on pipelined connections and not yet answered.", (s) => s.pipelined),
  };
}

/** The series of one process. */
export type Series = ReturnType<typeof createSeries>;
