/**
 * Prometheus metrics of one twofold process. `metrics` is the one recorder
 * every hook reports to (the rpc log, the pg pool, the verification core, the
 * API-key cache); `startMetricsServer` exposes it on TWOFOLD_METRICS_ADDR.
 */
import { createMetrics, type Metrics } from "./recorder.js";

export { type Metrics, type VerifyPath } from "./recorder.js";
export { startMetricsServer, type MetricsServer } from "./metrics-server.js";
export type { PoolStats } from "./series.js";

/** The process's recorder: one registry per process, as one Prometheus target is one process. */
export const metrics: Metrics = createMetrics();
