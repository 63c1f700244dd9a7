/**
 * The two ceilings a load run measures beside the logins, at the same
 * concurrency, so its figure can be read as a share of what the stack
 * allows:
 * - transport: twofold's own server stack over trivial Challenge and
 *   Verify handlers (bench/load/trivial-server.ts), driven by the same
 *   client library, connections and concurrency as the logins;
 * - database: the replay compare-and-set every OTP login ends with
 *   (`UPDATE … SET last_step = $n WHERE … AND last_step < $n RETURNING`),
 *   through `pg`, one connection per worker, on the run's own database, on
 *   a scratch table created and dropped here.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { jsonLine, startChild } from "../common/child.js";
import { cpuDelta, cpuSnapshot, processCpuSeconds, selfCpuSeconds } from "../common/cpu.js";
import type { Progress } from "../common/progress.js";
import { openClients, type ClientOptions, type LoadClients } from "./clients.js";
import { drive, type DrivePlan } from "./drive.js";
import { Purpose } from "../../src/gen/twofold/v1/types_pb.js";
import { Recorder } from "./recorder.js";
import { SERVICE_NODE_FLAGS } from "./service.js";

/** A ceiling's figures. */
export interface CeilingResult {
  /** Logins (Challenge + Verify pairs) or compare-and-sets per second. */
  perSecond: number;
  operations: number;
  seconds: number;
  recorder: Recorder;
  /** CPU seconds of the server (transport) or of Postgres's backends (database) per operation. */
  cpuPerOpMs: number | undefined;
  /** CPU seconds of this process (the load generator) per operation. */
  generatorCpuPerOpMs: number;
  failures: number;
}

/** Challenge + Verify against the trivial-handler server, as the logins do them against the service. */
export async function transportCeiling(
  plan: DrivePlan,
  client: Omit<ClientOptions, "target" | "apiKey">,
  connections: number,
  workDir: string,
  progress?: Progress,
): Promise<CeilingResult> {
  const apiKey = `tf_bench_${randomBytes(12).toString("hex")}`;
  const child = startChild("bench/load/trivial-server", [], {
    env: { ...process.env, TWOFOLD_BENCH_KEY: apiKey },
    nodeFlags: SERVICE_NODE_FLAGS,
    logFile: join(workDir, "trivial-server.log"),
  });
  try {
    const port = await child.waitFor((line) => {
      const j = jsonLine(line);
      return j !== undefined && typeof j["port"] === "number" && j["level"] === undefined ? j["port"] : undefined;
    }, 60_000);
    const pool: LoadClients[] = Array.from({ length: connections }, () => openClients({ ...client, target: `127.0.0.1:${port}`, apiKey }));
    const recorder = new Recorder();
    let failures = 0;
    let cpuStart: number | undefined;
    const op = async (w: number): Promise<boolean> => {
      const c = pool[w % pool.length] as LoadClients;
      const t0 = performance.now();
      try {
        const ch = await c.auth.challenge({ userId: "bench-user", purpose: Purpose.SECOND_FACTOR });
        const t1 = performance.now();
        recorder.rpc("Challenge", t1 - t0, "OK", t1);
        const v = await c.auth.verify({ transactionId: ch.transactionId, proof: { case: "otp", value: { code: "123456" } } });
        const t2 = performance.now();
        recorder.rpc("Verify", t2 - t1, "OK", t2);
        recorder.login("totp", false, t2 - t0, v.verified ? { expected: true } : { expected: false, why: "not verified" }, t2);
      } catch {
        failures++;
        recorder.login("totp", false, performance.now() - t0, { expected: false, why: "RPC failed" });
      }
      return true;
    };
    let cpuEnd: number | undefined;
    let self0 = 0;
    let self1 = 0;
    try {
      // CPU of the trivial server over the window only.
      await drive(plan, recorder, op, {
        ...(progress === undefined ? {} : { progress }),
        progressCount: () => recorder.logins(),
        onOpen: () => {
          cpuStart = processCpuSeconds(child.pid);
          self0 = selfCpuSeconds();
        },
        onClose: () => {
          cpuEnd = processCpuSeconds(child.pid);
          self1 = selfCpuSeconds();
        },
      });
    } finally {
      for (const c of pool) c.close();
    }
    const seconds = recorder.seconds();
    const operations = recorder.logins();
    return {
      perSecond: operations / seconds,
      operations,
      seconds,
      recorder,
      cpuPerOpMs: cpuStart === undefined || cpuEnd === undefined || operations === 0 ? undefined : ((cpuEnd - cpuStart) * 1000) / operations,
      generatorCpuPerOpMs: operations === 0 ? 0 : ((self1 - self0) * 1000) / operations,
      failures: failures + recorder.unexpected(),
    };
  } finally {
    await child.stop();
  }
}

/** The replay compare-and-set at `plan.concurrency` connections on the database at `url`. */
export async function databaseCeiling(plan: DrivePlan, url: string, progress?: Progress): Promise<CeilingResult> {
  const table = `twofold_bench_cas_${randomBytes(4).toString("hex")}`;
  const rowsPerWorker = 16;
  const clients: pg.Client[] = [];
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // The shape of the factors table's replay state: keyed by tenant and user first.
    await admin.query(
      `CREATE TABLE ${table} (tenant text NOT NULL, user_id text NOT NULL, id uuid NOT NULL, last_step bigint NOT NULL, PRIMARY KEY (tenant, user_id, id))`,
    );
    await admin.query(
      `INSERT INTO ${table} SELECT 'bench', 'user-' || g, gen_random_uuid(), 0 FROM generate_series(1, $1::int) AS g`,
      [plan.concurrency * rowsPerWorker],
    );
    const rows = (await admin.query<{ user_id: string; id: string }>(`SELECT user_id, id FROM ${table} ORDER BY user_id`)).rows;
    for (let i = 0; i < plan.concurrency; i++) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      clients.push(c);
    }
    const pids = (await Promise.all(clients.map((c) => c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")))).map((r) => r.rows[0]?.pid ?? -1);
    const sql = `UPDATE ${table} SET last_step = $4 WHERE tenant = $1 AND user_id = $2 AND id = $3 AND last_step < $4 RETURNING last_step`;
    const steps = new Map<string, number>();
    const recorder = new Recorder();
    let failures = 0;
    let cpuStart: Map<number, number> | undefined;
    let cpuEnd: Map<number, number> | undefined;
    let self0 = 0;
    let self1 = 0;
    const turn = new Array<number>(plan.concurrency).fill(0);
    const op = async (w: number): Promise<boolean> => {
      // Each worker cycles over rows of its own: no two workers race on a row.
      const row = rows[w + plan.concurrency * ((turn[w] = ((turn[w] ?? 0) + 1) % rowsPerWorker))] as { user_id: string; id: string };
      const step = (steps.get(row.id) ?? 0) + 1;
      steps.set(row.id, step);
      const t0 = performance.now();
      try {
        const r = await (clients[w] as pg.Client).query(sql, ["bench", row.user_id, row.id, step]);
        const t1 = performance.now();
        recorder.rpc("compare-and-set", t1 - t0, r.rowCount === 1 ? "OK" : "NO_ROW", t1);
        recorder.login("totp", false, t1 - t0, r.rowCount === 1 ? { expected: true } : { expected: false, why: "no row updated" }, t1);
      } catch {
        failures++;
      }
      return true;
    };
    await drive(plan, recorder, op, {
      ...(progress === undefined ? {} : { progress }),
      progressCount: () => recorder.logins(),
      onOpen: () => {
        cpuStart = cpuSnapshot(pids);
        self0 = selfCpuSeconds();
      },
      onClose: () => {
        cpuEnd = cpuSnapshot(pids);
        self1 = selfCpuSeconds();
      },
    });
    const seconds = recorder.seconds();
    const operations = recorder.logins();
    const cpu = cpuStart === undefined || cpuEnd === undefined ? undefined : cpuDelta(cpuStart, cpuEnd);
    return {
      perSecond: operations / seconds,
      operations,
      seconds,
      recorder,
      cpuPerOpMs: cpu === undefined || operations === 0 ? undefined : (cpu * 1000) / operations,
      generatorCpuPerOpMs: operations === 0 ? 0 : ((self1 - self0) * 1000) / operations,
      failures: failures + recorder.unexpected(),
    };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await admin.end();
  }
}
