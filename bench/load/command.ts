/**
 * The `load` subcommand's command line and its table on stdout.
 */
import { fmt, percent, renderTable, type Cell } from "../common/table.js";
import { intOption, numberOption, parse, UsageError, writeJson } from "../common/options.js";
import type { Protocol, GrpcLibrary } from "./clients.js";
import { MixError, parseMix } from "./mix.js";
import { runLoad, type LoadOptions, type LoadReport } from "./run-load.js";

/** `twofold-bench load --help`. */
export const LOAD_USAGE = `twofold-bench load [options]

Logins (Challenge + Verify) against a live service at a fixed concurrency, by
users whose devices the emulator plays, with the transport and database
ceilings measured in the same run at the same concurrency.

  --target HOST:PORT      a running service (default: start one, embedded store
                          or a fresh database on DATABASE_URL's server)
  --api-key KEY           the target's API key (admin reads the WebAuthn origin;
                          also TWOFOLD_API_KEY)
  --server-pid PID        the target's process on this machine, to read its CPU
                          per login and per enrolled user (Postgres's is read,
                          with or without it, from the backends of the database
                          DATABASE_URL connects to, when on this machine)
  --protocol P            grpc (default) or connect
  --grpc-library L        raw (default: hand-framed gRPC on the generator's own
                          HTTP/2 connection, the cheapest for it), node-http2 (the
                          same framing on node:http2), client (twofold/client) or
                          grpc-js
  --duration S            measuring window, seconds (default 30; smoke 3)
  --logins N              stop after N logins instead (the window caps it)
  --warmup S              seconds before the window (default 3; smoke 0: its few TOTP
                          users would spend their one login per step in the warm-up)
  --concurrency C         logins in flight (default 32; smoke 8)
  --connections K         HTTP/2 connections (default 1)
  --users N               users to enrol, split by the mix (default 4000; smoke 60)
  --enrol-concurrency E   enrolments in flight (default 16)
  --mix SPEC              e.g. totp=60,hotp=10,webauthn=10,backup-code=10,app-password=10
                          (default totp; smoke all five)
  --wrong PCT             percent of logins sending a wrong proof (default 0; smoke 10)
  --ceiling-seconds S     window of each ceiling (default 10; smoke 2); the database
                          ceiling runs on the run's fresh database, or with --target
                          on DATABASE_URL when set (embedded store: not measured)
  --no-ceilings           skip the ceilings
  --cpu-prof DIR          run the service with node --cpu-prof into DIR and list
                          its top self-time functions in the window
  --json FILE, --html FILE, --smoke, --no-progress

A TOTP factor accepts each 30 s step once, so a TOTP user logs in at most
once per step: the run schedules users by step and says how long it waited.
Exit status 1 when any login had an unexpected outcome or status.
`;

/** Parses the command line into options; `env` supplies DATABASE_URL and TWOFOLD_API_KEY. */
export function parseLoadArgs(argv: string[], env: NodeJS.ProcessEnv): { opts: LoadOptions; smoke: boolean; json?: string; html?: string; help: boolean } {
  const { values, common } = parse(argv, {
    target: { type: "string" },
    "api-key": { type: "string" },
    protocol: { type: "string" },
    "grpc-library": { type: "string" },
    duration: { type: "string" },
    logins: { type: "string" },
    warmup: { type: "string" },
    concurrency: { type: "string" },
    connections: { type: "string" },
    users: { type: "string" },
    "enrol-concurrency": { type: "string" },
    mix: { type: "string" },
    wrong: { type: "string" },
    "ceiling-seconds": { type: "string" },
    "no-ceilings": { type: "boolean" },
    "cpu-prof": { type: "string" },
    "server-pid": { type: "string" },
  });
  const smoke = common.smoke;
  const protocol = (values["protocol"] ?? "grpc") as string;
  if (protocol !== "grpc" && protocol !== "connect") throw new UsageError("--protocol must be grpc or connect");
  const grpcLibrary = (values["grpc-library"] ?? "raw") as string;
  if (grpcLibrary !== "grpc-js" && grpcLibrary !== "client" && grpcLibrary !== "raw" && grpcLibrary !== "node-http2") {
    throw new UsageError("--grpc-library must be raw, node-http2, client or grpc-js");
  }
  const target = values["target"] as string | undefined;
  const apiKey = (values["api-key"] as string | undefined) ?? env["TWOFOLD_API_KEY"];
  if (target !== undefined && (apiKey === undefined || apiKey === "")) throw new UsageError("--target needs --api-key (or TWOFOLD_API_KEY)");
  if (target !== undefined && !/^[^\s/]+:\d{1,5}$/.test(target)) throw new UsageError("--target must be host:port");
  if (values["cpu-prof"] !== undefined && target !== undefined) throw new UsageError("--cpu-prof needs a service the run starts (no --target)");
  const serverPid = intOption(values["server-pid"], "server-pid", 1);
  if (serverPid !== undefined && target === undefined) throw new UsageError("--server-pid needs --target (the run knows the service it starts)");
  let mix;
  try {
    mix = parseMix((values["mix"] as string | undefined) ?? (smoke ? "totp=40,hotp=15,webauthn=15,backup-code=15,app-password=15" : "totp"));
  } catch (err) {
    if (err instanceof MixError) throw new UsageError(err.message);
    throw err;
  }
  const opts: LoadOptions = {
    target,
    apiKey,
    databaseUrl: env["DATABASE_URL"] === "" ? undefined : env["DATABASE_URL"],
    protocol: protocol as Protocol,
    grpcLibrary: grpcLibrary as GrpcLibrary,
    seconds: numberOption(values["duration"], "duration", 0.5) ?? (smoke ? 3 : 30),
    logins: intOption(values["logins"], "logins", 1),
    warmupSeconds: numberOption(values["warmup"], "warmup", 0) ?? (smoke ? 0 : 3),
    concurrency: intOption(values["concurrency"], "concurrency", 1, 10_000) ?? (smoke ? 8 : 32),
    connections: intOption(values["connections"], "connections", 1, 256) ?? 1,
    users: intOption(values["users"], "users", 1, 1_000_000) ?? (smoke ? 60 : 4000),
    enrolConcurrency: intOption(values["enrol-concurrency"], "enrol-concurrency", 1, 1000) ?? 16,
    mix,
    wrong: (numberOption(values["wrong"], "wrong", 0, 100) ?? (smoke ? 10 : 0)) / 100,
    ceilingSeconds: numberOption(values["ceiling-seconds"], "ceiling-seconds", 0.5) ?? (smoke ? 2 : 10),
    ceilings: values["no-ceilings"] !== true,
    cpuProfDir: values["cpu-prof"] as string | undefined,
    serverPid,
    progress: common.progress,
  };
  if (opts.logins !== undefined && numberOption(values["duration"], "duration", 0.5) === undefined) opts.seconds = 3600;
  return {
    opts,
    smoke,
    ...(common.json === undefined ? {} : { json: common.json }),
    ...(common.html === undefined ? {} : { html: common.html }),
    help: common.help,
  };
}

const ms = (v: number | undefined): string => fmt(v, v !== undefined && v < 10 ? 2 : 1);

/** The report as the table printed on stdout. */
export function loadTable(r: LoadReport): string {
  const s = r.settings;
  const lines: string[] = [];
  lines.push(
    `load: ${s.concurrency} logins in flight over ${s.protocol === "grpc" ? `gRPC (${s.grpcLibrary})` : "Connect (binary)"}, ` +
      `${s.connections} connection${s.connections === 1 ? "" : "s"}, ${fmt(r.logins.seconds, 1)} s window after ${s.warmupSeconds} s warm-up; ` +
      `mix ${s.mix}; wrong proofs ${fmt(s.wrong * 100, 0)} %`,
  );
  lines.push(`service: ${r.service.startedByBench ? `started by the run (${r.service.database} store)` : "given target"} at ${r.service.target}`);
  lines.push(
    `enrolment: ${r.enrolment.users} users (${Object.entries(r.enrolment.byKind).map(([k, n]) => `${k} ${n}`).join(", ")}) ` +
      `in ${fmt(r.enrolment.seconds, 1)} s, ${fmt(r.enrolment.usersPerSecond, 1)} users/s at ${r.enrolment.concurrency} in flight`,
  );
  const ec = r.enrolment.cpu;
  const cpuMs = (v: number | undefined): string => (v === undefined ? "n/a" : `${ms(v)} ms`);
  lines.push(`cpu per enrolled user: server ${cpuMs(ec.serverMsPerUser)}, postgres ${cpuMs(ec.postgresMsPerUser)}, load generator ${cpuMs(ec.generatorMsPerUser)}`);
  lines.push("");
  const loginRows: Cell[][] = [];
  const row = (name: string, n: number, perSecond: number, d: LoadReport["logins"]["latencyMs"], verified: number, refused: number, unexpected: number): Cell[] => [
    name,
    fmt(n),
    fmt(perSecond, 1),
    ms(d.summary.p50),
    ms(d.summary.p90),
    ms(d.summary.p99),
    ms(d.summary.max),
    fmt(verified),
    fmt(refused),
    fmt(unexpected),
  ];
  const l = r.logins;
  loginRows.push(row("all logins", l.count, l.perSecond, l.latencyMs, l.verified, l.refusedAsExpected, l.unexpected));
  for (const [kind, k] of Object.entries(l.byKind)) {
    const unexpected = Object.values(k.unexpected).reduce((a, b) => a + b, 0);
    loginRows.push(row(`  ${kind}`, k.logins, k.logins / Math.max(l.seconds, 1e-9), k.latencyMs, k.verified, k.refusedAsExpected, unexpected));
  }
  lines.push(renderTable(["logins", "count", "per s", "p50 ms", "p90 ms", "p99 ms", "max ms", "verified", "refused (wrong proof)", "unexpected"], loginRows));
  lines.push("");
  const rpcRows: Cell[][] = Object.entries(r.rpcs).map(([name, rpc]) => [
    name,
    fmt(rpc.count),
    ms(rpc.latencyMs.summary.p50),
    ms(rpc.latencyMs.summary.p90),
    ms(rpc.latencyMs.summary.p99),
    ms(rpc.latencyMs.summary.max),
    Object.entries(rpc.statuses)
      .map(([st, n]) => `${st === "OK" ? st : `${st} (unexpected)`} ${n}`)
      .join(", "),
  ]);
  lines.push(renderTable(["rpc", "count", "p50 ms", "p90 ms", "p99 ms", "max ms", "statuses"], rpcRows));
  const unexpected = Object.entries(l.byKind).flatMap(([kind, k]) => Object.entries(k.unexpected).map(([why, n]) => `  ${kind}: ${why} (${n})`));
  if (unexpected.length > 0) lines.push("", "UNEXPECTED OUTCOMES:", ...unexpected);
  lines.push("");
  const c = r.ceilings;
  if (c.transport !== undefined || c.database !== undefined || c.databaseNote !== undefined) {
    const ceilingRows: Cell[][] = [];
    const row = (label: string, ceiling: NonNullable<typeof c.transport>, rpc: string, ratio: number | undefined): Cell[] => {
      const lat = ceiling.rpcs[rpc]?.latencyMs;
      return [label, fmt(ceiling.perSecond, 0), ms(lat?.p50), ms(lat?.p99), ms(ceiling.cpuPerOpMs), ratio === undefined ? "-" : fmt(ratio, 3)];
    };
    if (c.transport !== undefined) ceilingRows.push(row("transport: trivial Challenge + Verify, same server stack", c.transport, "Challenge", r.ratios.toTransport));
    if (c.database !== undefined) ceilingRows.push(row("database: replay compare-and-set through pg", c.database, "compare-and-set", r.ratios.toDatabase));
    if (ceilingRows.length > 0) {
      lines.push(`ceilings (same run, ${s.concurrency} in flight):`);
      lines.push(renderTable(["ceiling", "per s", "p50 ms", "p99 ms", "cpu ms/op", "logins/s ÷ ceiling"], ceilingRows));
    }
    if (c.databaseNote !== undefined) lines.push(`database ceiling ${c.databaseNote}`);
    lines.push("");
  }
  const cpu = r.cpu;
  lines.push(
    `cpu per login: server ${cpu.serverMsPerLogin === undefined ? "n/a" : `${ms(cpu.serverMsPerLogin)} ms`}, ` +
      `postgres ${cpu.postgresMsPerLogin === undefined ? "n/a" : `${ms(cpu.postgresMsPerLogin)} ms`}, ` +
      `load generator ${ms(cpu.generatorMsPerLogin)} ms (${cpu.generatorCores === undefined ? "n/a" : `${fmt(cpu.generatorCores * 100, 0)} % of a core`}); machine ${cpu.machineBusyShare === undefined ? "n/a" : `${fmt(cpu.machineBusyShare * 100, 0)} % busy`}` +
      (cpu.machineCores === undefined ? "" : ` (${cpu.machineCores} cores)`),
  );
  if (cpu.serverThread !== undefined) {
    const t = cpu.serverThread;
    lines.push(
      `server event loop: on a core ${percent(t.runningShare)}, runnable but waiting for a core ${percent(t.waitingShare)}, ` +
        `asleep ${percent(Math.max(0, 1 - t.runningShare - t.waitingShare))} of the window`,
    );
  }
  if (r.cpuProfile !== undefined) {
    const p = r.cpuProfile;
    lines.push("", `server cpu profile (${p.file}), window: ${fmt(p.busyMs, 0)} ms busy of ${fmt(p.windowMs, 0)} ms sampled; top self time:`);
    lines.push(
      renderTable(
        ["self ms", "% busy", "function", "where"],
        p.top.map((f) => [fmt(f.selfMs, 1), fmt(f.share * 100, 1), f.name, f.where]),
      ),
    );
  }
  if (r.notes.length > 0) lines.push("", ...r.notes.map((n) => `note: ${n}`));
  return lines.join("\n");
}

/** Runs `load`; the exit status is 1 when any login or RPC had an unexpected outcome. */
export async function loadCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseLoadArgs(argv, env);
  if (parsed.help) {
    process.stdout.write(LOAD_USAGE);
    return 0;
  }
  const report = await runLoad(parsed.opts, parsed.smoke);
  process.stdout.write(`${loadTable(report)}\n`);
  if (parsed.json !== undefined) writeJson(parsed.json, report);
  if (parsed.html !== undefined) {
    const { writeLoadHtml } = await import("../report/load-html.js");
    writeLoadHtml(parsed.html, report);
  }
  if (report.logins.count === 0) {
    process.stderr.write("twofold-bench load: no login completed in the window\n");
    return 1;
  }
  if (report.logins.unexpected > 0 || report.logins.unexpectedStatuses > 0) {
    process.stderr.write(`twofold-bench load: ${report.logins.unexpected} logins had an unexpected outcome\n`);
    return 1;
  }
  return 0;
}
