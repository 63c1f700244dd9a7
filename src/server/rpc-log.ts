import { Code } from "@connectrpc/connect";
import type { Logger } from "pino";
import { builtLine } from "../log.js";
import { metrics } from "../metrics/index.js";

/** The wire protocol of one call, for the log line. */
export type Protocol = "grpc" | "grpc-web" | "connect";

/** The fields of the one log line per RPC; never bodies, headers or error causes. */
export interface RpcLogLine {
  method: string;
  /** 0 is OK; Code has no member for it. */
  code: Code | 0;
  durationMs: number;
  tenant: string | undefined;
  requestId: string;
  protocol: Protocol;
}

const codeNames: readonly string[] = (() => {
  const names: string[] = ["ok"];
  for (const [name, value] of Object.entries(Code)) {
    if (typeof value === "number") names[value] = name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
  }
  return names;
})();

/** Writes the "rpc" line: one per call on every protocol, so dashboards need one query. */
export function logRpc(logger: Logger, line: RpcLogLine): void {
  metrics.rpc(line.method, line.code, line.durationMs);
  builtLine(
    logger,
    {
      method: line.method,
      code: codeNames[line.code] ?? String(line.code),
      durationMs: Math.round(line.durationMs * 100) / 100,
      tenant: line.tenant,
      requestId: line.requestId,
      protocol: line.protocol,
    },
    "rpc",
  );
}

/** Derives the protocol from the request content-type, the way connect-node negotiates it. */
export function protocolOf(contentType: string | undefined | null): Protocol {
  if (contentType === undefined || contentType === null) return "connect";
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}
