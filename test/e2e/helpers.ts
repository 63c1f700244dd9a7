import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { AppDeps } from "../../src/app.js";
import { apiKeyAuthenticator } from "../../src/domain/api-keys/index.js";
import { BadRequestSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { createServices } from "../../src/rpc/services.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import type { Queryable } from "../../src/store/db.js";
import type { TestApp } from "../support/app.js";
import { grpcStatusDetails, isServiceError } from "../support/grpc-client.js";

/** The whole service on an ephemeral port, as `twofold serve` wires it, in this process. */
export interface InProcessServer {
  server: RunningServer;
  /** "host:port", for grpc-js. */
  address: string;
  url: string;
}

/**
 * Starts the real server with every real service and API-key authentication
 * over `deps` (its clock, its logger), so a test can pin time or read logs.
 */
export async function startInProcess(deps: AppDeps, logger: Logger = deps.logger): Promise<InProcessServer> {
  const server = await startServer({
    config: deps.config,
    logger,
    services: createServices(deps),
    authenticate: apiKeyAuthenticator(deps),
  });
  return { server, address: `${server.host}:${server.port}`, url: server.url };
}

export type OathAlgorithm = "SHA1" | "SHA256" | "SHA512";

/**
 * The TOTP code Debian's oathtool (an independent RFC 6238 implementation)
 * computes for `secretHex` at `at`: the code an authenticator would show.
 */
export function oathtoolTotp(
  secretHex: string,
  opts: { algorithm: OathAlgorithm; digits: 6 | 8; period: 30 | 60; at: Date | "now" },
): string {
  const time = opts.at === "now" ? ["--now", "now"] : ["-N", `@${Math.floor(opts.at.getTime() / 1000)}`];
  const out = execFileSync(
    "oathtool",
    [`--totp=${opts.algorithm.toLowerCase()}`, "-d", String(opts.digits), "-s", String(opts.period), ...time, secretHex],
    { encoding: "utf8" },
  );
  return out.trim();
}

/** The gRPC status code of a failed call, from any of the clients; fails when it succeeded. */
export async function failureOf(call: Promise<unknown>): Promise<{ code: Code; fields: string[] }> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof ConnectError) && isServiceError(err)) {
      const status = grpcStatusDetails(err);
      const fields = (status?.details ?? []).flatMap((d) => anyUnpack(d, BadRequestSchema)?.fieldViolations.map((v) => v.field) ?? []);
      return { code: err.code as number as Code, fields };
    }
    const e = ConnectError.from(err);
    return { code: e.code, fields: e.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field)) };
  }
  throw new Error("expected the call to fail, it succeeded");
}

const TABLES = [
  "factors",
  "login_transactions",
  "audit_events",
  "throttles",
  "backup_code_lists",
  "backup_codes",
  "app_passwords",
  "enforcement_policies",
  "provider_policies",
  "relying_parties",
];

/** Row counts and a content hash of every table a call could write, to prove a refused call changed nothing. */
export async function snapshot(db: Queryable): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of TABLES) {
    const r = await db.query<{ n: number; h: string }>(
      `SELECT count(*)::integer AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${t} x`,
    );
    out[t] = `${r.rows[0]?.n}:${r.rows[0]?.h}`;
  }
  return out;
}

/** A `twofold serve` child process started from source. */
export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stdout(): string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** The environment that lets a child `twofold serve` share `app`'s database, keys and pepper. */
export function serveEnvFor(app: TestApp): Record<string, string> {
  return {
    DATABASE_URL: app.dbUrl,
    TWOFOLD_KEYS: app.deps.config.keys.map((k) => `${k.id}:${k.key.toString("base64")}`).join(","),
    TWOFOLD_PEPPER: (app.deps.config.pepper ?? Buffer.alloc(0)).toString("base64"),
  };
}

/** Starts `node --import tsx src/cli/main.ts serve` on a free port and waits for its "twofold serving" line. */
export async function startServeProcess(env: Record<string, string>, timeoutMs = 90_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], {
    env: { PATH: process.env["PATH"], TWOFOLD_ADDR: "127.0.0.1:0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => (err += c.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const stop = async (graceMs = 10_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const started = Date.now();
      const timer = setInterval(() => {
        for (const line of out.split("\n")) {
          if (!line.startsWith("{")) continue;
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === "twofold serving" && entry.url !== undefined) {
            clearInterval(timer);
            resolve(entry.url);
            return;
          }
        }
        if (Date.now() - started > timeoutMs) {
          clearInterval(timer);
          reject(new Error(`serve did not start within ${timeoutMs} ms: ${err}${out}`));
        }
      }, 50);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`serve exited with ${code}: ${err}${out}`));
      });
    });
    return { child, url, stdout: () => out, exited, stop };
  } catch (e) {
    await stop(1000);
    throw e;
  }
}
