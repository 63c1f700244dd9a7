/**
 * `twofold-bench transport` (also `npm run bench:transport`): twofold's gRPC
 * path against a bare @grpc/grpc-js server and connect-node alone.
 *
 * Requirement: the gRPC path must not limit throughput — for the same trivial
 * unary handler (with authentication) twofold must reach at least 80% of a
 * bare @grpc/grpc-js server's requests per second, measured side by side in
 * this one run. connect-node alone is measured for reference.
 *
 * Each server runs in a child process of its own (one process, one event
 * loop each: same process count), driven by its own h2load (Debian package
 * nghttp2-client, one thread) with identical settings. By default the three
 * run at the same time, so whatever else loads the machine (CI neighbours)
 * hits all of them alike and the ratio stays meaningful; `--sequential` runs
 * them one after another instead, for standalone figures on a quiet machine.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { ListFactorsRequestSchema } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { jsonLine, startChild, type Child } from "../common/child.js";
import { parse, writeJson } from "../common/options.js";
import { progressBar, type Progress } from "../common/progress.js";
import { fmt, renderTable } from "../common/table.js";
import { grpcFrame, parseH2load, type LoadResult } from "./h2load.js";
import { realClockEnv } from "../real-clock.js";

/** `twofold-bench transport --help`. */
export const TRANSPORT_USAGE = `twofold-bench transport [options]

twofold's gRPC path vs a bare @grpc/grpc-js server vs connect-node, each in
its own process with the same trivial authenticated handler, under h2load
(Debian nghttp2-client). Fails when twofold reaches less than 80 % of grpc-js.

  --sequential     one server at a time (default: side by side)
  --no-log-too     add twofold with a silent logger (what the log line costs)
  --no-assert      do not fail on the ratio (CI smoke: it must run)
  --json FILE, --smoke, --no-progress
`;

const MIN_RATIO = 0.8;
const PATH = "/twofold.v1.EnrolmentService/ListFactors";

/** The JSON report of `transport`. */
export interface TransportReport {
  command: "transport";
  startedAt: string;
  settings: { connections: number; streams: number; seconds: number; warmup: number; rounds: number; sequential: boolean; smoke: boolean };
  /** Mean requests per second by server kind, and every round's figures. */
  servers: Record<string, { reqPerSec: number; rounds: LoadResult[] }>;
  ratio: number;
  minRatio: number;
  failures: number;
}

async function startServerChild(kind: string, key: string, dir: string): Promise<{ port: number; child: Child }> {
  const child = startChild("bench/transport/servers", [kind], { env: { ...process.env, TWOFOLD_BENCH_KEY: key }, logFile: join(dir, `${kind}.log`) });
  const port = await child.waitFor((line) => {
    const j = jsonLine(line);
    return j !== undefined && j["level"] === undefined && typeof j["port"] === "number" ? j["port"] : undefined;
  }, 60_000);
  return { port, child };
}

/** One real call, so a server that answers every request with an error cannot win. */
async function checkAnswers(port: number, body: Buffer, key: string): Promise<void> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const status = await new Promise<string | undefined>((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": PATH, "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${key}` });
      let grpcStatus: string | undefined;
      req.on("response", (h) => (grpcStatus = h["grpc-status"] as string | undefined));
      req.on("trailers", (t) => (grpcStatus = t["grpc-status"] as string | undefined));
      req.on("data", () => undefined);
      req.on("end", () => resolve(grpcStatus));
      req.on("error", reject);
      req.end(body);
    });
    if (status !== "0") throw new Error(`server on ${port} answered grpc-status ${status}`);
  } finally {
    session.close();
  }
}

interface Plan {
  connections: number;
  streams: number;
  seconds: number;
  warmup: number;
  rounds: number;
}

function runH2load(port: number, bodyFile: string, key: string, plan: Plan): Promise<LoadResult> {
  const args = [
    "-c", String(plan.connections),
    "-m", String(plan.streams),
    "-t", "1",
    "-D", String(plan.seconds),
    `--warm-up-time=${plan.warmup}`,
    "-d", bodyFile,
    "-H", "content-type: application/grpc",
    "-H", "te: trailers",
    "-H", `authorization: Bearer ${key}`,
    `http://127.0.0.1:${port}${PATH}`,
  ];
  return new Promise((resolve, reject) => {
    const proc = spawn("h2load", args, { stdio: ["ignore", "pipe", "inherit"], env: realClockEnv() });
    let out = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.once("error", (err) => reject(new Error(`h2load: ${err.message} (apt-get install -y nghttp2-client)`)));
    proc.once("close", () => {
      try {
        resolve(parseH2load(out));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

/** Starts the given servers, checks each answers correctly, loads them (together), stops them. */
async function measure(kinds: string[], bodyFile: string, body: Buffer, key: string, plan: Plan, dir: string, progress: Progress, tick: () => void): Promise<LoadResult[]> {
  const children: Child[] = [];
  const timer = setInterval(tick, 200);
  try {
    const started = await Promise.all(kinds.map((k) => startServerChild(k, key, dir)));
    for (const s of started) children.push(s.child);
    for (const s of started) await checkAnswers(s.port, body, key);
    return await Promise.all(started.map((s) => runH2load(s.port, bodyFile, key, plan)));
  } finally {
    clearInterval(timer);
    progress.finish();
    await Promise.all(children.map((c) => c.stop()));
  }
}

/** Runs `transport`; exit 1 when requests failed or (unless --no-assert) the ratio is below 0.8. */
export async function transportCommand(argv: string[]): Promise<number> {
  const { values, common } = parse(argv, { sequential: { type: "boolean" }, "no-log-too": { type: "boolean" }, "no-assert": { type: "boolean" } });
  if (common.help) {
    process.stdout.write(TRANSPORT_USAGE);
    return 0;
  }
  const sequential = values["sequential"] === true;
  const plan: Plan = common.smoke ? { connections: 4, streams: 10, seconds: 3, warmup: 1, rounds: 1 } : { connections: 8, streams: 20, seconds: 10, warmup: 2, rounds: 2 };
  const key = "tf_bench_key_0123456789";
  const dir = mkdtempSync(join(tmpdir(), "twofold-bench-transport-"));
  const body = grpcFrame(toBinary(ListFactorsRequestSchema, create(ListFactorsRequestSchema, { userId: "alice" })));
  const bodyFile = join(dir, "list-factors.bin");
  writeFileSync(bodyFile, body);
  const kinds = ["grpc-js", "twofold", "connect-node", ...(values["no-log-too"] === true ? ["twofold-nolog"] : [])];
  const results = new Map<string, LoadResult[]>(kinds.map((k) => [k, []]));
  process.stdout.write(
    `transport: h2load per server ${plan.connections} connections x ${plan.streams} streams, ${plan.seconds} s after ${plan.warmup} s warm-up; ` +
      `${plan.rounds} round(s), servers ${sequential ? "one after another" : "side by side at the same time"}\n`,
  );
  const batches = sequential ? kinds.map((k) => [k]) : [kinds];
  const total = plan.rounds * batches.length * (plan.seconds + plan.warmup);
  const progress = progressBar("transport", total, { enabled: common.progress });
  const t0 = performance.now();
  try {
    for (let round = 0; round < plan.rounds; round++) {
      for (const batch of batches) {
        const rs = await measure(batch, bodyFile, body, key, plan, dir, progress, () => progress.update((performance.now() - t0) / 1000));
        batch.forEach((kind, i) => results.get(kind)?.push(rs[i] as LoadResult));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const mean = (kind: string): number => {
    const rs = results.get(kind) ?? [];
    return rs.reduce((a, r) => a + r.reqPerSec, 0) / Math.max(1, rs.length);
  };
  const ratio = mean("twofold") / mean("grpc-js");
  const names: Record<string, string> = { "grpc-js": "@grpc/grpc-js (bare)", twofold: "twofold (gRPC path)", "connect-node": "connect-node", "twofold-nolog": "twofold, no log line" };
  const rows = kinds.map((k) => {
    const rs = results.get(k) ?? [];
    return [
      names[k] ?? k,
      fmt(mean(k), 0),
      rs.map((r) => fmt(r.reqPerSec, 0)).join(" / "),
      fmt(rs.reduce((a, r) => a + r.succeeded, 0)),
      fmt(rs.reduce((a, r) => a + r.failed + r.errored, 0)),
    ];
  });
  process.stdout.write(`${renderTable(["server", "req/s", "per round", "ok", "failed"], rows)}\n`);
  process.stdout.write(`twofold / grpc-js = ${ratio.toFixed(2)} (required >= ${MIN_RATIO})\n`);
  const failures = [...results.values()].flat().filter((r) => r.failed + r.errored > 0 || r.succeeded === 0).length;
  const report: TransportReport = {
    command: "transport",
    startedAt: new Date().toISOString(),
    settings: { ...plan, sequential, smoke: common.smoke },
    servers: Object.fromEntries(kinds.map((k) => [k, { reqPerSec: Math.round(mean(k)), rounds: results.get(k) ?? [] }])),
    ratio: Number(ratio.toFixed(3)),
    minRatio: MIN_RATIO,
    failures,
  };
  if (common.json !== undefined) writeJson(common.json, report);
  let code = 0;
  if (failures > 0) {
    process.stderr.write("twofold-bench transport: some requests failed\n");
    code = 1;
  }
  if (values["no-assert"] !== true && ratio < MIN_RATIO) {
    process.stderr.write(`twofold-bench transport: twofold reached only ${(ratio * 100).toFixed(0)}% of grpc-js\n`);
    code = 1;
  }
  return code;
}
