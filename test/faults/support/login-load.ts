import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { AuthenticationService } from "../../../src/gen/twofold/v1/authentication_pb.js";
import { connectClient } from "../../support/clients.js";
import { createGrpcClient, isServiceError } from "../../support/grpc-client.js";

/** A user and the backup codes the load may spend, each meant to be accepted once. */
export interface CodeBook {
  userId: string;
  codes: string[];
}

/** What one login attempt (Challenge, then Verify with a backup code) came to. */
export type AttemptOutcome = "accepted" | "refused" | { code: Code };

export interface Attempt {
  userId: string;
  code: string;
  outcome: AttemptOutcome;
  /** The slower of the attempt's two calls. */
  ms: number;
  /** performance.now() when the attempt ended. */
  at: number;
  /** Which call ended it and how long each took, for a failure message. */
  detail: string;
  replica: string;
}

interface Login {
  challenge(userId: string): Promise<string>;
  verify(transactionId: string, code: string): Promise<boolean>;
  close(): void;
}

/** A client gives up this long after the server's deadline; an answer that late is a hang. */
const guardMs = 4_000;
/** Each worker's pause between attempts. */
const paceMs = 40;

function grpcLogin(address: string, apiKey: string, capMs: number): Login {
  const client = createGrpcClient(AuthenticationService, address);
  return {
    challenge: async (userId) => (await client.unary("challenge", { userId }, { apiKey, deadlineMs: capMs + guardMs })).transactionId,
    verify: async (transactionId, code) =>
      (await client.unary("verify", { transactionId, proof: { case: "backupCode", value: { code } } }, { apiKey, deadlineMs: capMs + guardMs })).verified,
    close: () => client.close(),
  };
}

function connectLogin(url: string, apiKey: string, capMs: number): Login {
  const client = connectClient(AuthenticationService, url, { apiKey, httpVersion: "1.1" });
  return {
    challenge: async (userId) => (await client.challenge({ userId }, { timeoutMs: capMs + guardMs })).transactionId,
    verify: async (transactionId, code) => (await client.verify({ transactionId, proof: { case: "backupCode", value: { code } } }, { timeoutMs: capMs + guardMs })).verified,
    close: () => undefined,
  };
}

/** Socket-level failures of the client's own connection: the server never answered. */
const lostConnection = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ERR_STREAM_PREMATURE_CLOSE"]);

function codeOf(err: unknown): Code {
  if (!(err instanceof ConnectError) && isServiceError(err)) return err.code as number as Code;
  const e = ConnectError.from(err);
  // connect-node's client calls a lost connection ABORTED or INTERNAL (its node-error.ts);
  // grpc-js, like the gRPC spec, UNAVAILABLE. Either way the outcome is unknown to the caller.
  if ((e.code === Code.Aborted || e.code === Code.Internal) && lostInChain(e)) return Code.Unavailable;
  return e.code;
}

function lostInChain(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 6; depth++, e = e.cause) {
    if (lostConnection.has(String((e as NodeJS.ErrnoException).code))) return true;
  }
  return false;
}

/** A running load; stop() ends it and hands back every attempt. */
export interface LoginLoad {
  attempts: Attempt[];
  /** Codes not yet accepted or refused. */
  left(): number;
  /** Resolves once an attempt made after `since` was accepted (the service recovered). */
  acceptedAfter(since: number, timeoutMs: number): Promise<number | undefined>;
  stop(): Promise<Attempt[]>;
}

/**
 * Logins with backup codes, `workers` at a time, against the given replicas
 * (each worker keeps to one replica and one protocol: gRPC through the fast
 * path or Connect through connect-node). A code whose attempt failed with an
 * RPC error goes back in the worker's queue and is tried again later; an
 * accepted or refused code is done.
 */
export function startLoginLoad(opts: {
  replicas: { name: string; url: string }[];
  apiKey: string;
  books: CodeBook[];
  workers: number;
  capMs: number;
}): LoginLoad {
  const attempts: Attempt[] = [];
  let running = true;
  const queues: { userId: string; code: string }[][] = Array.from({ length: opts.workers }, () => []);
  opts.books.forEach((book, i) => {
    for (const code of book.codes) queues[i % opts.workers]?.push({ userId: book.userId, code });
  });
  const worker = async (index: number): Promise<void> => {
    const replica = opts.replicas[index % opts.replicas.length] as { name: string; url: string };
    const address = new URL(replica.url).host;
    const login = index % 2 === 0 ? grpcLogin(address, opts.apiKey, opts.capMs) : connectLogin(replica.url, opts.apiKey, opts.capMs);
    const queue = queues[index] as { userId: string; code: string }[];
    try {
      while (running) {
        const next = queue.shift();
        if (next === undefined) {
          await sleep(20);
          continue;
        }
        let slowest = 0;
        const steps: string[] = [];
        const timed = async <T>(name: string, call: () => Promise<T>): Promise<T> => {
          const t = performance.now();
          try {
            return await call();
          } finally {
            const ms = performance.now() - t;
            steps.push(`${name} ${Math.round(ms)} ms`);
            slowest = Math.max(slowest, ms);
          }
        };
        let outcome: AttemptOutcome;
        try {
          const transactionId = await timed("Challenge", () => login.challenge(next.userId));
          outcome = (await timed("Verify", () => login.verify(transactionId, next.code))) ? "accepted" : "refused";
        } catch (err) {
          outcome = { code: codeOf(err) };
          queue.push(next);
          // A replica that is gone answers at once; do not spin on it.
          await sleep(10);
        }
        const protocol = index % 2 === 0 ? "gRPC" : "Connect";
        attempts.push({ ...next, outcome, ms: slowest, at: performance.now(), replica: replica.name, detail: `${protocol}: ${steps.join(", ")}` });
        // A steady pace, so the codes last through the fault and the recovery.
        await sleep(paceMs);
      }
    } finally {
      login.close();
    }
  };
  const done = Promise.all(Array.from({ length: opts.workers }, (_, i) => worker(i)));
  return {
    attempts,
    left: () => queues.reduce((n, q) => n + q.length, 0),
    async acceptedAfter(since, timeoutMs) {
      const until = performance.now() + timeoutMs;
      while (performance.now() < until) {
        const hit = attempts.find((a) => a.outcome === "accepted" && a.at > since);
        if (hit !== undefined) return hit.at - since;
        await sleep(20);
      }
      return undefined;
    },
    async stop() {
      running = false;
      await done;
      return attempts;
    },
  };
}
