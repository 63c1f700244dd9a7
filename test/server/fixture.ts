import { setTimeout as sleep } from "node:timers/promises";
import { pino, type Logger } from "pino";
import type { Caller } from "../../src/domain/caller.js";
import { invalidArgument, throttled } from "../../src/domain/errors.js";
import { AdminService } from "../../src/gen/twofold/v1/admin_pb.js";
import { EnrolmentService } from "../../src/gen/twofold/v1/enrolment_pb.js";
import { callerOf, requestIdKey } from "../../src/rpc/context.js";
import { registration } from "../../src/rpc/registration.js";
import { startServer, type RunningServer } from "../../src/server/server.js";

/** API keys the fixture server knows. */
export const serviceKey = "tf_test_service_key";
export const adminKey = "tf_test_admin_key";
/** Planted in a thrown Error to prove internal causes never reach callers. */
export const secretCause = "password=hunter2 at db.internal:5432";

const callers = new Map<string, Caller>([
  [serviceKey, { tenant: "acme", keyId: "k-service", role: "service" }],
  [adminKey, { tenant: "acme", keyId: "k-admin", role: "admin" }],
]);

/**
 * A test-only EnrolmentService: ListFactors answers by user_id so each
 * outcome the transports must carry can be provoked on every protocol;
 * Enrol accepts anything, for decoding tests. RenameFactor is left out to
 * show UNIMPLEMENTED.
 */
const enrolment = registration(EnrolmentService, {
  enrol() {
    return {};
  },
  async listFactors(req, ctx) {
    switch (req.userId) {
      case "invalid":
        throw invalidArgument([{ field: "user_id", description: "must be 1-256 bytes of UTF-8" }]);
      case "throttled":
        throw throttled(3000);
      case "boom":
        throw new Error(secretCause);
      case "slow":
        await sleep(5000, undefined, { signal: ctx.signal }).catch(() => undefined);
        return { factors: [] };
      case "pause":
        await sleep(300);
        return { factors: [{ id: "paused", label: "" }] };
      case "big":
        return { factors: [{ id: "f-big", label: "x".repeat(100_000) }] };
      default: {
        const caller = callerOf(ctx);
        return {
          factors: [{ id: `${caller.tenant}:${req.userId}`, label: ctx.values.get(requestIdKey) }],
        };
      }
    }
  },
});

const admin = registration(AdminService, {
  getUserState(req) {
    return { factors: [{ id: `state:${req.userId}`, label: "admin view" }] };
  },
});

export interface FixtureServer {
  server: RunningServer;
  /** "host:port" for grpc-js. */
  address: string;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  /** Flips the health readiness answer. */
  setReady(ready: boolean): void;
}

/** Starts the real server on an ephemeral port with the test services and a capturing logger. */
export async function startFixtureServer(
  overrides: { maxMessageBytes?: number; requestTimeoutMs?: number; shutdownGraceMs?: number } = {},
): Promise<FixtureServer> {
  const logs: Record<string, unknown>[] = [];
  const logger: Logger = pino(
    { level: "info" },
    { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  let ready = true;
  const server = await startServer({
    config: {
      addr: { host: "127.0.0.1", port: 0 },
      maxMessageBytes: overrides.maxMessageBytes ?? 16 * 1024,
      maxConcurrentStreams: 100,
      requestTimeoutMs: overrides.requestTimeoutMs ?? 10_000,
    },
    logger,
    services: [enrolment, admin],
    authenticate: (token) => Promise.resolve(callers.get(token)),
    ready: () => Promise.resolve(ready),
    ...(overrides.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: overrides.shutdownGraceMs }),
  });
  return { server, address: `${server.host}:${server.port}`, logs, setReady: (r) => (ready = r) };
}
