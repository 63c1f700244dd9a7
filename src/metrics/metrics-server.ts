import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics } from "prom-client";
import type { Logger } from "pino";
import type { ListenAddress } from "../config/config.js";
import type { Metrics } from "./recorder.js";

/** A listening /metrics endpoint. */
export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

const withDefaults = new WeakSet<Metrics>();

/**
 * Serves `GET /metrics` in the Prometheus text format on a listener of its
 * own (TWOFOLD_METRICS_ADDR), apart from the API port: the endpoint has no
 * API key, so it must be reachable only where the scraper is (a pod port, a
 * private interface), never wherever platform services reach the API. The
 * process defaults (CPU, memory, event-loop lag, GC) are collected from here
 * on, so a process that serves no metrics pays nothing for them.
 */
export async function startMetricsServer(metrics: Metrics, addr: ListenAddress, logger: Logger): Promise<MetricsServer> {
  const registry = metrics.series.registry;
  if (!withDefaults.has(metrics)) {
    collectDefaultMetrics({ register: registry });
    withDefaults.add(metrics);
  }
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?", 1)[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": registry.contentType });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (err: unknown) => {
        logger.error({ err }, "metrics collection failed");
        res.writeHead(500, { "content-type": "text/plain" }).end("metrics collection failed\n");
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(addr.port, addr.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const url = `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}/metrics`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
