import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { AppDeps } from "../../src/app.js";
import type { Config } from "../../src/config/config.js";
import { apiKeyAuthenticator } from "../../src/domain/api-keys/index.js";
import { FixedClock } from "../../src/domain/clock.js";
import { registration, type ServiceRegistration } from "../../src/rpc/registration.js";
import { createServices } from "../../src/rpc/services.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import type { RunOptions } from "../../emulator/scenarios/runner.js";

/** The TOTP period the scenarios' tokens use. */
const PERIOD_MS = 30_000;

/**
 * A clock for the service and the runner alike: the real time rounded down
 * to a 30 s step, plus 3 s, so TOTP steps fall the same way on every run. The
 * runner's sleeps advance it instead of waiting.
 */
export function sharedClock(): FixedClock {
  const now = Date.now();
  return new FixedClock(new Date(now - (now % PERIOD_MS) + 3_000));
}

/** A database, an admin key of tenant "acme", and servers started on it. */
export interface LiveDatabase {
  app: TestApp;
  adminKey: string;
  serviceKey: string;
  close(): Promise<void>;
}

/** One real Postgres database for a test file (createTestApp), with keys for tenant "acme". */
export async function liveDatabase(clock?: FixedClock): Promise<LiveDatabase> {
  const app = await createTestApp(clock === undefined ? {} : { clock });
  return {
    app,
    adminKey: await createTestApiKey(app, "acme", "admin"),
    serviceKey: await createTestApiKey(app, "acme", "service"),
    close: () => app.close(),
  };
}

/** Changes what a service registration does, for a test-only server with one rule broken. */
export type ServiceWrapper = (services: ServiceRegistration[]) => ServiceRegistration[];

/** Wraps one service's implementation, leaving the others as createServices made them. */
export function wrapService<S extends DescService>(
  service: S,
  wrap: (real: Partial<ServiceImpl<S>>) => Partial<ServiceImpl<S>>,
): ServiceWrapper {
  return (services) =>
    services.map((r) => (r.service.typeName === service.typeName ? registration(service, wrap(r.impl as unknown as Partial<ServiceImpl<S>>)) : r));
}

/** The real network server (gRPC, Connect, gRPC-Web on one port) over the real services. */
export interface LiveServer {
  server: RunningServer;
  /** `127.0.0.1:PORT`, as `--target` takes it. */
  target: string;
  close(): Promise<void>;
}

/** Starts the service on an ephemeral port against `db`, optionally with changed config or a broken rule. */
export async function startLiveServer(
  db: LiveDatabase,
  opts: { config?: Partial<Config>; wrap?: ServiceWrapper } = {},
): Promise<LiveServer> {
  const deps: AppDeps = opts.config === undefined ? db.app.deps : { ...db.app.deps, config: { ...db.app.deps.config, ...opts.config } };
  const services = createServices(deps);
  const server = await startServer({
    config: deps.config,
    logger: deps.logger,
    services: opts.wrap === undefined ? services : opts.wrap(services),
    authenticate: apiKeyAuthenticator(deps),
    shutdownGraceMs: 500,
  });
  return { server, target: `${server.host}:${server.port}`, close: () => server.close() };
}

/** Runner options for a server in this process: the shared clock, whose sleeps cost no time. */
export function runnerOptions(server: LiveServer, apiKey: string, clock: FixedClock): RunOptions {
  return {
    target: server.target,
    apiKey,
    clock,
    sleep: (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    },
    timeoutMs: 20_000,
  };
}
