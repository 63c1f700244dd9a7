/**
 * `twofold-bench load`: enrol users with emulated devices, run logins at a
 * fixed concurrency against a live service, and measure, in the same run,
 * the transport and database ceilings those logins could at best reach.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { AttestationCa, WebAuthnClient } from "../../emulator/index.js";
import { cpuDelta, cpuSnapshot, machineCpu, mainThreadSched, processCpuSeconds, schedShares, selfCpuSeconds, type MachineCpu, type ThreadSched } from "../common/cpu.js";
import { progressBar } from "../common/progress.js";
import { cdfPoints, histogram, round, sortedCopy, summarise, type Bin, type Summary } from "../common/stats.js";
import { databaseCeiling, transportCeiling, type CeilingResult } from "./ceilings.js";
import { openClients, type GrpcLibrary, type LoadClients, type Protocol } from "./clients.js";
import { monotonicUs, mainThreadProfile, summariseProfile, type ProfileSummary } from "./cpu-profile.js";
import { drive } from "./drive.js";
import { runLogin, type LoginContext } from "./login.js";
import { LOGIN_KINDS, mixText, pickKind, poolSizes, type LoginKind, type Mix } from "./mix.js";
import { UserPool } from "./pools.js";
import { Recorder } from "./recorder.js";
import { startService, type StartedService } from "./service.js";
import { webAuthnOrigin } from "./site.js";
import { enrolUser, newRunId, type EnrolContext, type LoadUser } from "./users.js";

/** Everything a load run is told. */
export interface LoadOptions {
  /** `host:port` of a running service; undefined: start one. */
  target: string | undefined;
  apiKey: string | undefined;
  /** The Postgres server for a service the run starts (undefined: embedded), or the target's database for the ceiling. */
  databaseUrl: string | undefined;
  protocol: Protocol;
  grpcLibrary: GrpcLibrary;
  concurrency: number;
  connections: number;
  users: number;
  enrolConcurrency: number;
  mix: Mix;
  /** Share of logins (0..1) sent with a wrong proof. */
  wrong: number;
  warmupSeconds: number;
  seconds: number;
  logins: number | undefined;
  ceilingSeconds: number;
  ceilings: boolean;
  cpuProfDir: string | undefined;
  /** With a target on this machine: its process id, so the run reads its CPU as it does a service it starts. */
  serverPid: number | undefined;
  progress: boolean;
}

/** A latency distribution as reports carry it (ms). */
export interface Distribution {
  summary: Summary;
  histogram: Bin[];
  cdf: Array<[number, number]>;
}

/** One RPC's figures in the logins phase. */
export interface RpcReport {
  count: number;
  latencyMs: Distribution;
  statuses: Record<string, number>;
}

/** One login kind's figures. */
export interface KindReport {
  logins: number;
  verified: number;
  refusedAsExpected: number;
  unexpected: Record<string, number>;
  latencyMs: Distribution;
}

/** A ceiling as the report carries it. */
export interface CeilingReport {
  perSecond: number;
  operations: number;
  seconds: number;
  failures: number;
  cpuPerOpMs: number | undefined;
  generatorCpuPerOpMs: number;
  rpcs: Record<string, { count: number; latencyMs: Summary }>;
}

/** The JSON report of `load` (also what the table and HTML are drawn from). */
export interface LoadReport {
  command: "load";
  startedAt: string;
  machine: { cpus: number; model: string; node: string };
  settings: Omit<LoadOptions, "apiKey" | "databaseUrl" | "mix" | "progress" | "serverPid"> & { mix: string; wrongShare: number; smoke: boolean };
  service: { startedByBench: boolean; target: string; database: "embedded" | "postgres" | "unknown" };
  enrolment: {
    users: number;
    byKind: Record<string, number>;
    seconds: number;
    usersPerSecond: number;
    concurrency: number;
    /** CPU per enrolled user (milliseconds), as for logins; undefined where it cannot be read. */
    cpu: { serverMsPerUser: number | undefined; postgresMsPerUser: number | undefined; generatorMsPerUser: number | undefined };
  };
  logins: {
    seconds: number;
    count: number;
    perSecond: number;
    verified: number;
    refusedAsExpected: number;
    unexpected: number;
    unexpectedStatuses: number;
    /** Share of worker time spent waiting for a user free to log in (TOTP: a fresh step). */
    idleShare: number;
    /** The window on the monotonic clock (µs), to cut any process's `--cpu-prof` profile to it. */
    monotonicUs: [number, number] | undefined;
    latencyMs: Distribution;
    byKind: Partial<Record<LoginKind, KindReport>>;
  };
  rpcs: Record<string, RpcReport>;
  timeline: { sliceSeconds: number; logins: number[] };
  cpu: {
    serverMsPerLogin: number | undefined;
    postgresMsPerLogin: number | undefined;
    generatorMsPerLogin: number;
    /** The load generator's CPU over the window, in cores (1 = one core busy all the time). */
    generatorCores: number | undefined;
    machineBusyShare: number | undefined;
    machineCores: number | undefined;
    /**
     * The server's event-loop thread over the window: the share it ran on a
     * core and the share it was runnable but waiting for one (the rest it
     * slept, waiting for the network or the database).
     */
    serverThread: { runningShare: number; waitingShare: number } | undefined;
  };
  ceilings: { transport: CeilingReport | undefined; database: CeilingReport | undefined; databaseNote: string | undefined };
  ratios: { toTransport: number | undefined; toDatabase: number | undefined };
  cpuProfile: ProfileSummary | undefined;
  notes: string[];
}

/** How many latency bins the charts get. */
const BINS = 40;

/** A latency distribution for reports: summary, histogram up to p99.9 (the tail clamped into the last bin), CDF. */
export function distribution(values: ArrayLike<number>): Distribution {
  const sorted = sortedCopy(values);
  const s = summarise(sorted);
  const hi = sorted.length === 0 ? 1 : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.999))] as number);
  return {
    summary: roundSummary(s),
    histogram: histogram(sorted, BINS, 0, hi > 0 ? hi : 1).map((b) => ({ from: round(b.from), to: round(b.to), count: b.count })),
    cdf: cdfPoints(sorted, 100).map(([v, f]) => [round(v), round(f)]),
  };
}

function roundSummary(s: Summary): Summary {
  return { count: s.count, mean: round(s.mean), p50: round(s.p50), p90: round(s.p90), p99: round(s.p99), max: round(s.max) };
}

function ceilingReport(c: CeilingResult): CeilingReport {
  const rpcs: CeilingReport["rpcs"] = {};
  for (const [name, l] of c.recorder.rpcLatencies) rpcs[name] = { count: l.length, latencyMs: roundSummary(summarise(l)) };
  return {
    perSecond: round(c.perSecond),
    operations: c.operations,
    seconds: round(c.seconds),
    failures: c.failures,
    cpuPerOpMs: c.cpuPerOpMs === undefined ? undefined : round(c.cpuPerOpMs),
    generatorCpuPerOpMs: round(c.generatorCpuPerOpMs),
    rpcs,
  };
}

/** Milliseconds per operation between two CPU readings (seconds), over `n` operations. */
function msPer(a: number | undefined, b: number | undefined, n: number): number | undefined {
  return a === undefined || b === undefined || n === 0 ? undefined : round(((b - a) * 1000) / n);
}

/**
 * Postgres backends connected to `database` (undefined: the one `url` itself
 * connects to, as pg resolves it), to read their CPU; not this query's own.
 * Only pids that are Postgres processes on this machine are kept: a server in
 * another pid namespace (a container, another host) reports pids that may
 * name unrelated local processes.
 */
async function backendPids(url: string, database: string | undefined): Promise<number[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = COALESCE($1::text, current_database()) AND pid <> pg_backend_pid()",
      [database ?? null],
    );
    return r.rows.map((row) => row.pid).filter(isLocalPostgres);
  } finally {
    await c.end();
  }
}

function isLocalPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("postgres");
  } catch {
    return false;
  }
}

async function enrolAll(
  ctx: EnrolContext,
  sizes: Map<LoginKind, number>,
  concurrency: number,
  showProgress: boolean,
): Promise<{ pools: Map<LoginKind, UserPool<LoadUser>>; seconds: number; users: number }> {
  const jobs: Array<{ kind: LoginKind; n: number }> = [];
  for (const [kind, count] of sizes) for (let n = 0; n < count; n++) jobs.push({ kind, n });
  // Kinds interleaved, so a long enrolment of one kind does not leave another's last users fresh.
  jobs.sort((a, b) => a.n - b.n);
  const byKind = new Map<LoginKind, LoadUser[]>();
  const bar = progressBar("enrol", jobs.length, { enabled: showProgress });
  let next = 0;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, jobs.length) }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++] as { kind: LoginKind; n: number };
        const user = await enrolUser(ctx, job.kind, job.n);
        let list = byKind.get(job.kind);
        if (list === undefined) byKind.set(job.kind, (list = []));
        list.push(user);
        bar.update(++done, `${done} users`);
      }
    }),
  );
  bar.finish();
  const pools = new Map<LoginKind, UserPool<LoadUser>>();
  for (const [kind, users] of byKind) pools.set(kind, new UserPool(users));
  return { pools, seconds: (performance.now() - started) / 1000, users: jobs.length };
}

/** Runs the whole `load` command and returns its report (printing is the caller's). */
export async function runLoad(opts: LoadOptions, smoke: boolean): Promise<LoadReport> {
  const workDir = mkdtempSync(join(tmpdir(), "twofold-bench-load-"));
  const notes: string[] = [];
  let service: StartedService | undefined;
  const connections: LoadClients[] = [];
  try {
    if (opts.cpuProfDir !== undefined) mkdirSync(opts.cpuProfDir, { recursive: true });
    if (opts.target === undefined) {
      service = await startService({ databaseUrl: opts.databaseUrl, workDir, cpuProfDir: opts.cpuProfDir });
    }
    const target = service?.target ?? (opts.target as string);
    const apiKey = service?.apiKey ?? (opts.apiKey as string);
    const clientOpts = { protocol: opts.protocol, grpcLibrary: opts.grpcLibrary };
    for (let i = 0; i < opts.connections; i++) connections.push(openClients({ ...clientOpts, target, apiKey }));

    // Enrolment, through the same client library as the logins: the generator shares the box with
    // what it measures, and twofold/client cost it about a millisecond more per enrolled user than the
    // hand-framed client (--grpc-library client enrols and logs in through twofold/client).
    const setup = openClients({ ...clientOpts, target, apiKey });
    connections.push(setup);
    const browser = new WebAuthnClient({ origin: await webAuthnOrigin(setup) });
    const ca = await AttestationCa.create();
    const sizes = poolSizes(opts.mix, opts.users, opts.concurrency);
    const serverPid = service?.child.pid ?? opts.serverPid;
    // Postgres CPU: the backends of the run's fresh database, or of the target's (the one DATABASE_URL connects to).
    const pgServer = service?.database.kind === "postgres" || opts.target !== undefined ? opts.databaseUrl : undefined;
    const pgDatabase = service?.database.kind === "postgres" ? service.database.name : undefined;
    const backends = async (): Promise<number[]> => (pgServer !== undefined ? backendPids(pgServer, pgDatabase) : []);
    const serverCpu = (): number | undefined => (serverPid === undefined ? undefined : processCpuSeconds(serverPid));
    // The backend query runs outside the enrolment's readings of this process and the server.
    const pg0 = cpuSnapshot(await backends());
    const enrolCpu0 = { server: serverCpu(), self: selfCpuSeconds() };
    const enrolled = await enrolAll({ clients: setup, browser, ca, runId: newRunId() }, sizes, opts.enrolConcurrency, opts.progress);
    const enrolCpu1 = { server: serverCpu(), self: selfCpuSeconds() };
    const pg1 = cpuSnapshot(await backends());
    connections.pop()?.close();

    // Logins.
    const recorder = new Recorder(opts.seconds <= 10 ? 250 : 1000);
    const kinds = LOGIN_KINDS.filter((k) => enrolled.pools.has(k));
    let pgPids: number[] = [];
    let cpu0:
      | { server?: number | undefined; serverThread?: ThreadSched | undefined; pg: Map<number, number>; self: number; machine?: MachineCpu | undefined; mono: number }
      | undefined;
    let cpu1: typeof cpu0;
    const snapshot = (): NonNullable<typeof cpu0> => ({
      server: serverCpu(),
      serverThread: serverPid === undefined ? undefined : mainThreadSched(serverPid),
      pg: cpuSnapshot(pgPids),
      self: selfCpuSeconds(),
      machine: machineCpu(),
      mono: monotonicUs(),
    });
    // The pool is open after enrolment, but may open more backends under the logins (a pool larger
    // than the enrolment's concurrency): follow them through the warm-up, until the window opens.
    pgPids = await backends();
    let following = true;
    const follow = (async () => {
      while (following) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const pids = await backends();
        // The window's first snapshot keeps the list it opened with.
        if (following) pgPids = pids;
      }
    })();
    const ctxs: LoginContext[] = connections.map((clients) => ({ clients, browser, recorder }));
    const op = async (w: number): Promise<boolean> => {
      const kind = pickKind(opts.mix, Math.random());
      const pool = enrolled.pools.get(kind);
      if (pool === undefined) return false;
      let wrong = Math.random() < opts.wrong;
      let user = wrong ? pool.takeWrong() : pool.takeCorrect();
      if (user === undefined && wrong) {
        // Every user is busy or at its failure allowance: send a correct proof instead.
        wrong = false;
        user = pool.takeCorrect();
      }
      if (user === undefined) return false;
      try {
        await runLogin(ctxs[w % ctxs.length] as LoginContext, user, wrong);
      } finally {
        pool.giveBack(user);
      }
      return true;
    };
    const totpPool = enrolled.pools.get("totp");
    const driven = await drive(
      { concurrency: opts.concurrency, warmupSeconds: opts.warmupSeconds, seconds: opts.seconds, count: opts.logins },
      recorder,
      op,
      {
        idleMs: () => Math.min(50, totpPool?.msToNextStep() ?? 5),
        progress: progressBar("logins", opts.logins ?? opts.seconds, { enabled: opts.progress }),
        progressCount: () => recorder.logins(),
        onOpen: () => {
          following = false;
          cpu0 = snapshot();
        },
        onClose: () => (cpu1 = snapshot()),
      },
    );

    await follow;
    // Backends opened after the window opened are not in the Postgres CPU figure.
    const unmeasured = cpu0 === undefined ? 0 : (await backends()).filter((pid) => !cpu0?.pg.has(pid)).length;
    if (unmeasured > 0) notes.push(`${unmeasured} Postgres backends opened during the window are not in the postgres CPU figure, which is low by their share`);

    // Ceilings, each alone on the machine (the service idles meanwhile).
    const ceilingPlan = { concurrency: opts.concurrency, warmupSeconds: Math.min(2, opts.warmupSeconds), seconds: opts.ceilingSeconds };
    let transport: CeilingResult | undefined;
    let database: CeilingResult | undefined;
    let databaseNote: string | undefined;
    if (opts.ceilings) {
      transport = await transportCeiling(ceilingPlan, clientOpts, opts.connections, workDir, progressBar("transport ceiling", opts.ceilingSeconds, { enabled: opts.progress }));
      const dbUrl = service?.database.kind === "postgres" ? service.database.url : opts.target !== undefined ? opts.databaseUrl : undefined;
      if (dbUrl !== undefined) {
        database = await databaseCeiling(ceilingPlan, dbUrl, progressBar("database ceiling", opts.ceilingSeconds, { enabled: opts.progress }));
      } else {
        databaseNote =
          service?.database.kind === "embedded"
            ? "not measured: the embedded store (PGlite) lives inside the service process and takes no pg connections; set DATABASE_URL"
            : "not measured: give the target's database as DATABASE_URL";
      }
    }

    // Stop the service now, so a --cpu-prof profile is written.
    let profile: ProfileSummary | undefined;
    if (service !== undefined) {
      const s = service;
      service = undefined;
      await s.stop();
      if (opts.cpuProfDir !== undefined) {
        const file = mainThreadProfile(opts.cpuProfDir, s.child.pid);
        if (file !== undefined) profile = summariseProfile(file, 20, cpu0?.mono, cpu1?.mono);
      }
    }

    // Figures.
    const seconds = recorder.seconds();
    const count = recorder.logins();
    const perSecond = seconds > 0 ? count / seconds : 0;
    const rpcs: Record<string, RpcReport> = {};
    let unexpectedStatuses = 0;
    for (const [name, latencies] of recorder.rpcLatencies) {
      const statuses = Object.fromEntries(recorder.rpcStatuses.get(name) ?? []);
      for (const [status, n] of Object.entries(statuses)) if (status !== "OK") unexpectedStatuses += n;
      rpcs[name] = { count: latencies.length, latencyMs: distribution(latencies), statuses };
    }
    const byKind: LoadReport["logins"]["byKind"] = {};
    const all: number[] = [];
    let verified = 0;
    let refused = 0;
    for (const kind of kinds) {
      const k = recorder.kinds.get(kind);
      if (k === undefined) continue;
      verified += k.verified;
      refused += k.refusedAsExpected;
      for (const v of k.latenciesMs) all.push(v);
      byKind[kind] = {
        logins: k.latenciesMs.length,
        verified: k.verified,
        refusedAsExpected: k.refusedAsExpected,
        unexpected: Object.fromEntries(k.unexpected),
        latencyMs: distribution(k.latenciesMs),
      };
    }
    const c0 = cpu0;
    const c1 = cpu1;
    const pgCpu = c0 !== undefined && c1 !== undefined && pgPids.length > 0 ? cpuDelta(c0.pg, c1.pg) : undefined;
    const machineShare =
      c0?.machine !== undefined && c1?.machine !== undefined && c1.machine.total > c0.machine.total
        ? round((c1.machine.busy - c0.machine.busy) / (c1.machine.total - c0.machine.total), 3)
        : undefined;
    const serverThread = c0 !== undefined && c1 !== undefined ? schedShares(c0.serverThread, c1.serverThread, (c1.mono - c0.mono) / 1e6) : undefined;

    if (kinds.includes("totp")) {
      const users = enrolled.pools.get("totp")?.users.length ?? 0;
      const totpRate = seconds > 0 ? (recorder.kinds.get("totp")?.latenciesMs.length ?? 0) / seconds : 0;
      // Each user serves one login per 30 s step; leave half again as slack.
      const enough = Math.max(users * 2, Math.ceil(totpRate * 30 * 1.5));
      notes.push(
        `TOTP: a factor accepts each 30 s step once (replay rule), so each of the ${users} TOTP users logs in at most once per step; ` +
          `workers waited ${(driven.idleShare * 100).toFixed(1)} % of the window for a user with a fresh step` +
          (driven.idleShare > 0.05 ? ` (too few users for this rate: try --users ${enough})` : ""),
      );
    }
    if (opts.wrong > 0) notes.push("wrong proofs are checked beforehand to match no step or counter the service searches (TOTP ±16 steps, HOTP −20..+1020 counters)");
    if (serverThread !== undefined && serverThread.waiting > 0.15) {
      notes.push(
        `the server's event-loop thread waited for a core ${Math.round(serverThread.waiting * 100)} % of the window, runnable but not running: ` +
          "it shares the cores with Postgres and the load generator, so the run is bounded by CPU, not by waiting on the database",
      );
    }
    if (machineShare !== undefined && machineShare > 0.9) notes.push(`the machine was ${Math.round(machineShare * 100)} % busy during the window: the figures are CPU-bound`);

    const toTransport = transport !== undefined && transport.perSecond > 0 ? round(perSecond / transport.perSecond, 3) : undefined;
    const toDatabase = database !== undefined && database.perSecond > 0 ? round(perSecond / database.perSecond, 3) : undefined;
    return {
      command: "load",
      startedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", node: process.version },
      settings: {
        target: opts.target,
        protocol: opts.protocol,
        grpcLibrary: opts.grpcLibrary,
        concurrency: opts.concurrency,
        connections: opts.connections,
        users: enrolled.users,
        enrolConcurrency: opts.enrolConcurrency,
        mix: mixText(opts.mix),
        wrong: opts.wrong,
        wrongShare: opts.wrong,
        warmupSeconds: opts.warmupSeconds,
        seconds: opts.seconds,
        logins: opts.logins,
        ceilingSeconds: opts.ceilingSeconds,
        ceilings: opts.ceilings,
        cpuProfDir: opts.cpuProfDir,
        smoke,
      },
      service: {
        startedByBench: opts.target === undefined,
        target,
        database: opts.target !== undefined ? "unknown" : opts.databaseUrl === undefined ? "embedded" : "postgres",
      },
      enrolment: {
        users: enrolled.users,
        byKind: Object.fromEntries([...enrolled.pools].map(([k, p]) => [k, p.users.length])),
        seconds: round(enrolled.seconds),
        usersPerSecond: round(enrolled.users / enrolled.seconds),
        concurrency: opts.enrolConcurrency,
        cpu: {
          serverMsPerUser: msPer(enrolCpu0.server, enrolCpu1.server, enrolled.users),
          // The pool opens its connections while users enrol.
          postgresMsPerUser: msPer(0, cpuDelta(pg0, pg1, { newFromZero: true }), enrolled.users),
          generatorMsPerUser: msPer(enrolCpu0.self, enrolCpu1.self, enrolled.users),
        },
      },
      logins: {
        seconds: round(seconds),
        count,
        perSecond: round(perSecond),
        verified,
        refusedAsExpected: refused,
        unexpected: recorder.unexpected(),
        unexpectedStatuses,
        idleShare: round(driven.idleShare, 3),
        monotonicUs: c0 === undefined || c1 === undefined ? undefined : [c0.mono, c1.mono],
        latencyMs: distribution(all),
        byKind,
      },
      rpcs,
      timeline: { sliceSeconds: recorder.sliceMs / 1000, logins: recorder.timeline.map((n) => round(n / (recorder.sliceMs / 1000))) },
      cpu: {
        serverMsPerLogin: msPer(c0?.server, c1?.server, count),
        postgresMsPerLogin: pgCpu === undefined || count === 0 ? undefined : round((pgCpu * 1000) / count),
        generatorMsPerLogin: msPer(c0?.self, c1?.self, count) ?? 0,
        generatorCores: c0 === undefined || c1 === undefined || seconds === 0 ? undefined : round((c1.self - c0.self) / seconds, 3),
        machineBusyShare: machineShare,
        machineCores: c1?.machine?.cores,
        serverThread: serverThread === undefined ? undefined : { runningShare: round(serverThread.running, 3), waitingShare: round(serverThread.waiting, 3) },
      },
      ceilings: {
        transport: transport === undefined ? undefined : ceilingReport(transport),
        database: database === undefined ? undefined : ceilingReport(database),
        databaseNote,
      },
      ratios: { toTransport, toDatabase },
      cpuProfile: profile,
      notes,
    };
  } finally {
    for (const c of connections) c.close();
    await service?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}
