import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

/** A logger that keeps the server's "rpc" lines, so a test counts the attempts that reached the service. */
export interface RpcLines {
  logger: Logger;
  /**
   * Calls of `procedure` (`package.Service/Method`) the server finished, with
   * their codes; only those after `since` (a `mark()`), so tests sharing a
   * server count their own calls in any order.
   */
  codesOf(procedure: string, since?: number): string[];
  /** A point in the lines: pass it to codesOf. */
  mark(): number;
}

export function rpcLines(): RpcLines {
  const lines: { msg?: string; method?: string; code?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.startsWith("{")) lines.push(JSON.parse(line) as never);
      done();
    },
  });
  return {
    logger: pino({ level: "info" }, sink),
    codesOf: (procedure, since = 0) =>
      lines
        .slice(since)
        .filter((l) => l.msg === "rpc" && l.method === procedure)
        .map((l) => l.code ?? ""),
    mark: () => lines.length,
  };
}
