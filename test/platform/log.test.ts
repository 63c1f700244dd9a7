import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { pino } from "pino";
import { builtLine, createLogger } from "../../src/log.js";
import { within } from "../support/replicas.js";

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("the logger", () => {
  it("writes JSON lines with the level as a word", () => {
    const out = capture();
    createLogger({ logLevel: "info" }, out.stream).info({ tenant: "acme" }, "hello");
    expect(out.lines()[0]).toMatchObject({ level: "info", msg: "hello", tenant: "acme", service: "twofold" });
  });

  it("redacts secret-ish fields at the top level and one level down", () => {
    const out = capture();
    const secrets = {
      authorization: "Bearer tf_aaaa",
      password: "hunter2-pw",
      code: "123456",
      secret: "JBSWY3DPEHPK3PXP",
      key: "k-material",
      req: { headers: { authorization: "Bearer tf_bbbb" }, password: "pw-two" },
      proof: { code: "654321" },
    };
    createLogger({ logLevel: "info" }, out.stream).info(secrets, "request");
    const text = JSON.stringify(out.lines());
    for (const v of ["tf_aaaa", "hunter2-pw", "123456", "JBSWY3DPEHPK3PXP", "k-material", "tf_bbbb", "pw-two", "654321"]) {
      expect(text).not.toContain(v);
    }
    expect(text).toContain("[redacted]");
  });

  it("keeps an error's code readable (ECONNREFUSED is not a secret)", () => {
    const out = capture();
    const err = Object.assign(new Error("connect failed"), { code: "ECONNREFUSED" });
    createLogger({ logLevel: "info" }, out.stream).error({ err }, "database down");
    expect(out.lines()[0]?.["err"]).toMatchObject({ code: "ECONNREFUSED" });
  });

  it("keeps the RPC status name of the per-call line readable, and still hides a top-level OTP code", () => {
    const out = capture();
    const log = createLogger({ logLevel: "info" }, out.stream);
    log.info({ method: "twofold.v1.AuthenticationService/Verify", code: "invalid_argument" }, "rpc");
    log.info({ code: "123456" }, "not a status");
    expect(out.lines()[0]).toMatchObject({ code: "invalid_argument" });
    expect(out.lines()[1]).toMatchObject({ code: "[redacted]" });
  });

  it("writes nothing below the configured level", () => {
    const out = capture();
    const log = createLogger({ logLevel: "warn" }, out.stream);
    log.info("quiet");
    log.warn("loud");
    expect(out.lines().map((l) => l["msg"])).toEqual(["loud"]);
  });

  it("writes a built line exactly as logger.info would, bindings and nested fields included", () => {
    const out = capture();
    const log = createLogger({ logLevel: "info" }, out.stream).child({ component: "grpc" });
    const fields = { method: "twofold.v1.AuthenticationService/Verify", code: "ok", durationMs: 1.25, tenant: undefined, details: { reason: "replayed", n: 2, quote: 'a"b\nc' } };
    log.info(fields, "rpc");
    builtLine(log, fields, "rpc");
    builtLine(log, {}, "empty");
    const [viaPino, viaBuilt, empty] = out.lines();
    expect(viaBuilt?.["time"]).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect({ ...viaBuilt, time: 0 }).toEqual({ ...viaPino, time: 0 });
    expect(Object.keys(viaBuilt ?? {})).toEqual(Object.keys(viaPino ?? {}));
    expect(empty).toMatchObject({ level: "info", service: "twofold", component: "grpc", msg: "empty" });
  });

  it("stamps each line with its own millisecond, built lines and pino's alike", () => {
    const out = capture();
    const log = createLogger({ logLevel: "info" }, out.stream);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(new Date("2026-12-07T08:00:00.001Z"));
      builtLine(log, { n: 1 }, "built");
      log.info("same millisecond");
      vi.setSystemTime(new Date("2026-12-07T08:00:00.002Z"));
      builtLine(log, { n: 2 }, "built");
      vi.setSystemTime(new Date("2026-12-07T09:30:00.002Z"));
      log.info("later");
    } finally {
      vi.useRealTimers();
    }
    expect(out.lines().map((l) => l["time"])).toEqual([
      "2026-12-07T08:00:00.001Z",
      "2026-12-07T08:00:00.001Z",
      "2026-12-07T08:00:00.002Z",
      "2026-12-07T09:30:00.002Z",
    ]);
  });

  it("writes no built line below the configured level, and hands other loggers' lines to pino", () => {
    const out = capture();
    builtLine(createLogger({ logLevel: "warn" }, out.stream), { a: 1 }, "quiet");
    expect(out.lines()).toEqual([]);
    const lines: Record<string, unknown>[] = [];
    const plain = pino({ level: "info" }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    builtLine(plain, { a: 1 }, "plain");
    expect(lines[0]).toMatchObject({ level: 30, a: 1, msg: "plain" });
  });

  it("gathers a buffered logger's lines and writes them within 100 ms, or at once on flush", async () => {
    const dir = mkdtempSync(join(tmpdir(), "twofold-log-"));
    const path = join(dir, "out.log");
    const fd = openSync(path, "w");
    let ended = false;
    try {
      const logger = createLogger({ logLevel: "info" }, fd, true);
      const lines = () => readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
      logger.info({ n: 1 }, "first");
      builtLine(logger, { n: 2 }, "second");
      // Gathered, not yet written: no turn of the event loop has passed.
      expect(lines()).toEqual([]);
      // The periodic write comes within its interval (a generous bound for a busy machine), not at the test's end.
      expect(await within(1000, async () => lines().length >= 2)).toBeDefined();
      expect(lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["first", "second"]);
      logger.info({ n: 3 }, "third");
      await new Promise<void>((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));
      expect(lines()).toHaveLength(3);
      // Ending the destination closes its file (and stops its timer).
      const stream = (logger as unknown as Record<symbol, NodeJS.WritableStream>)[pino.symbols.streamSym];
      await new Promise((resolve) => {
        stream?.once("close", resolve);
        stream?.end();
      });
      ended = true;
    } finally {
      if (!ended) closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes every gathered line, in order, when the process exits without a flush", () => {
    const dir = mkdtempSync(join(tmpdir(), "twofold-log-exit-"));
    try {
      const script = join(dir, "exit.ts");
      // 2,000 lines are several batches: some written while others gather, the last ones only at exit.
      writeFileSync(
        script,
        [
          `import { builtLine, createLogger } from ${JSON.stringify(pathToFileURL(resolve("src/log.ts")).href)};`,
          `const logger = createLogger({ logLevel: "info" }, 1, true);`,
          `for (let n = 0; n < 2000; n++) builtLine(logger, { n }, "gathered");`,
          `logger.info({ n: 2000 }, "pino's own");`,
          `process.exit(0);`,
        ].join("\n"),
      );
      const run = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8", timeout: 30_000, maxBuffer: 1 << 24 });
      expect(run.status, run.stderr).toBe(0);
      const lines = run.stdout
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as { n: number; msg: string });
      expect(lines.map((l) => l.n)).toEqual(Array.from({ length: 2001 }, (_, n) => n));
      expect(lines.at(-1)?.msg).toBe("pino's own");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ends a buffered logger's flush within a second when its destination broke and never drains", async () => {
    const dir = mkdtempSync(join(tmpdir(), "twofold-log-broken-"));
    const fd = openSync(join(dir, "out.log"), "w");
    try {
      const logger = createLogger({ logLevel: "info" }, fd, true);
      const stream = (logger as unknown as Record<symbol, { sink: { write: (s: string) => boolean } }>)[pino.symbols.streamSym];
      // What pino does to its destination after EPIPE: every write is dropped, so no "drain" comes.
      if (stream === undefined) throw new Error("no destination");
      stream.sink.write = () => true;
      builtLine(logger, { n: 1 }, "lost");
      const started = performance.now();
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
