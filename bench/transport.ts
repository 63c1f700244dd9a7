/**
 * Transport benchmark (`npm run bench:transport -- [--smoke] [--no-assert] [--sequential] [--no-log-too]`).
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
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { ListFactorsRequestSchema } from "../src/gen/twofold/v1/enrolment_pb.js";
import { grpcFrame, parseH2load, type LoadResult } from "./h2load.js";

const args = new Set(process.argv.slice(2));
const smoke = args.has("--smoke");
const assertRatio = !args.has("--no-assert");
const sequential = args.has("--sequential");
const minRatio = 0.8;

const key = "tf_bench_key_0123456789";
const path = "/twofold.v1.EnrolmentService/ListFactors";
const load = smoke
  ? { connections: 4, streams: 10, seconds: 3, warmup: 1, rounds: 1 }
  : { connections: 8, streams: 20, seconds: 10, warmup: 2, rounds: 2 };


interface Child {
  port: number;
  proc: ChildProcess;
}

/** Starts one server kind in its own process and waits for its port. */
function startChild(kind: string): Promise<Child> {
  const proc = spawn(process.execPath, ["--import", "tsx", "bench/transport-servers.ts", kind], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, TWOFOLD_BENCH_KEY: key } });
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line !== undefined) resolve({ port: (JSON.parse(line) as { port: number }).port, proc });
    });
    proc.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

/** One real call, so a server that answers every request with an error cannot win. */
async function checkAnswers(port: number, body: Buffer): Promise<void> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const status = await new Promise<string | undefined>((resolve, reject) => {
      const req = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
        authorization: `Bearer ${key}`,
      });
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

function runH2load(port: number, bodyFile: string): Promise<LoadResult> {
  const h2loadArgs = [
    "-c", String(load.connections),
    "-m", String(load.streams),
    "-t", "1",
    "-D", String(load.seconds),
    `--warm-up-time=${load.warmup}`,
    "-d", bodyFile,
    "-H", "content-type: application/grpc",
    "-H", "te: trailers",
    "-H", `authorization: Bearer ${key}`,
    `http://127.0.0.1:${port}${path}`,
  ];
  return new Promise((resolve, reject) => {
    const proc = spawn("h2load", h2loadArgs, { stdio: ["ignore", "pipe", "inherit"] });
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

/** Starts the given servers, checks each answers correctly, loads them (together or in turn), stops them. */
async function measure(kinds: string[], bodyFile: string, body: Buffer): Promise<LoadResult[]> {
  const children: Child[] = [];
  try {
    for (const kind of kinds) children.push(await startChild(kind));
    for (const child of children) await checkAnswers(child.port, body);
    return await Promise.all(children.map((c) => runH2load(c.port, bodyFile)));
  } finally {
    for (const child of children) child.proc.kill();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "twofold-bench-"));
  const body = grpcFrame(toBinary(ListFactorsRequestSchema, create(ListFactorsRequestSchema, { userId: "alice" })));
  const bodyFile = join(dir, "list-factors.bin");
  writeFileSync(bodyFile, body);

  // --no-log-too adds twofold with a silent logger, to show what the per-call log line costs.
  const kinds = ["grpc-js", "twofold", "connect-node", ...(args.has("--no-log-too") ? ["twofold-nolog"] : [])];
  const results = new Map<string, LoadResult[]>(kinds.map((k) => [k, []]));
  console.log(
    `h2load per server: ${load.connections} connections x ${load.streams} streams, ${load.seconds}s after ${load.warmup}s warm-up; ` +
      `${load.rounds} round(s), servers ${sequential ? "one after another" : "side by side at the same time"}`,
  );
  try {
    for (let round = 0; round < load.rounds; round++) {
      const batches = sequential ? kinds.map((k) => [k]) : [kinds];
      for (const batch of batches) {
        const rs = await measure(batch, bodyFile, body);
        batch.forEach((kind, i) => {
          const r = rs[i] as LoadResult;
          results.get(kind)?.push(r);
          console.log(`  round ${round + 1} ${kind.padEnd(13)} ${r.reqPerSec.toFixed(0).padStart(7)} req/s  (${r.succeeded} ok, ${r.failed + r.errored} failed)`);
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const mean = (kind: string): number => {
    const rs = results.get(kind) ?? [];
    return rs.reduce((a, r) => a + r.reqPerSec, 0) / Math.max(1, rs.length);
  };
  const grpcJs = mean("grpc-js");
  const ours = mean("twofold");
  const connect = mean("connect-node");
  const ratio = ours / grpcJs;
  console.log(`\n  @grpc/grpc-js     ${grpcJs.toFixed(0).padStart(7)} req/s`);
  console.log(`  twofold (gRPC)    ${ours.toFixed(0).padStart(7)} req/s`);
  console.log(`  connect-node      ${connect.toFixed(0).padStart(7)} req/s`);
  if (results.has("twofold-nolog")) console.log(`  twofold, no log   ${mean("twofold-nolog").toFixed(0).padStart(7)} req/s`);
  console.log(`  twofold / grpc-js = ${ratio.toFixed(2)} (required >= ${minRatio})`);
  const failures = [...results.values()].flat().some((r) => r.failed + r.errored > 0 || r.succeeded === 0);
  if (failures) {
    console.error("some requests failed");
    process.exitCode = 1;
  }
  if (assertRatio && ratio < minRatio) {
    console.error(`twofold reached only ${(ratio * 100).toFixed(0)}% of grpc-js`);
    process.exitCode = 1;
  }
}

await main();
