import fc from "fast-check";
import { pino } from "pino";
import { apiKeyAuthenticator } from "../../src/domain/api-keys/index.js";
import { createServices } from "../../src/rpc/services.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import type { Queryable } from "../../src/store/db.js";
import { createTestApiKey, createTestApp, type TestApp } from "../support/app.js";
import { build, fuzzCase, type FuzzCase, type Keys } from "./cases.js";
import { problemsWith, verdictOf } from "./judge.js";
import { Http2Sender, sendHttp1, type RawAnswer } from "./raw-clients.js";

/** The server's deadline cap for the fuzz run: short, so a request that waits for it costs little. */
export const FUZZ_CAP_MS = 1500;
/** How late past its deadline an answer may come before it counts as a hang (the machine is shared). */
const SLACK_MS = 1500;

/** Every table a call may write; a refused request must leave all of them as they were. */
const TABLES = ["factors", "login_transactions", "audit_events", "throttles", "backup_code_lists", "backup_codes", "app_passwords", "enforcement_policies", "provider_policies", "relying_parties", "api_keys"];
const SNAPSHOT_SQL = `SELECT ${TABLES.map((t) => `(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM ${t} x) AS ${t}`).join(", ")}`;

async function snapshot(db: Queryable): Promise<string> {
  const r = await db.query<Record<string, string>>(SNAPSHOT_SQL);
  return JSON.stringify(r.rows[0]);
}

/** The real service on a database of its own, with a logger whose lines the fuzzer reads. */
export interface FuzzTarget {
  app: TestApp;
  server: RunningServer;
  keys: Keys;
  /** Log lines at error level or above since the last call of takeErrors(). */
  takeErrors(): string[];
  close(): Promise<void>;
}

export async function startFuzzTarget(): Promise<FuzzTarget> {
  const app = await createTestApp({ config: { requestTimeoutMs: FUZZ_CAP_MS, maxMessageBytes: 16 * 1024 } });
  let errors: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void ((JSON.parse(line) as { level: number }).level >= 50 && errors.push(line)) });
  const deps = { ...app.deps, logger };
  const server = await startServer({ config: deps.config, logger, services: createServices(deps), authenticate: apiKeyAuthenticator(deps), ready: () => deps.db.ping() });
  const keys = { service: await createTestApiKey(app, "fuzz", "service"), admin: await createTestApiKey(app, "fuzz", "admin") };
  return {
    app,
    server,
    keys,
    takeErrors() {
      const out = errors;
      errors = [];
      return out;
    },
    async close() {
      await server.close();
      await app.close();
    },
  };
}

export interface FuzzRun {
  runs: number;
  seed: number;
}

/** Tallies of one run, for the report. */
export interface FuzzStats {
  cases: number;
  byCode: Record<string, number>;
  byWire: Record<string, number>;
  slowestMs: number;
}

/**
 * Sends `runs` generated requests (cases.ts) to the target, one at a time,
 * and fails on the first answer that breaks a rule: HTTP 500, UNKNOWN /
 * INTERNAL / DATA_LOSS, no status at all, library wording in the message,
 * an answer later than its deadline, an error-level log line, or a refused
 * request that changed the database. fast-check then shrinks the case.
 */
export async function runFuzz(target: FuzzTarget, run: FuzzRun): Promise<FuzzStats> {
  const h2 = new Http2Sender(target.server.url);
  const stats: FuzzStats = { cases: 0, byCode: {}, byWire: {}, slowestMs: 0 };
  let before = await snapshot(target.app.db);
  const send = async (c: FuzzCase): Promise<{ answer: RawAnswer; deadlineMs: number } | undefined> => {
    const { request, deadlineMs } = build(c, target.keys, FUZZ_CAP_MS);
    const answer = c.wire.http === "1.1" ? await sendHttp1(target.server.host, target.server.port, request) : await h2.send(request);
    if (answer === "unsendable") return undefined;
    if (answer === "hang") throw new Error(`no answer within 15 s (${c.wire.name} ${request.path})`);
    return { answer, deadlineMs };
  };
  try {
    await fc.assert(
      fc.asyncProperty(fuzzCase(), async (c) => {
        const sent = await send(c);
        fc.pre(sent !== undefined); // node's own client refused the headers; nothing reached the server
        if (sent === undefined) return;
        const verdict = verdictOf(c.wire, sent.answer);
        const problems = problemsWith(verdict, sent.answer, sent.deadlineMs, SLACK_MS);
        problems.push(...target.takeErrors().map((l) => `error log line: ${l.slice(0, 300)}`));
        const after = await snapshot(target.app.db);
        if (verdict.code !== 0 && after !== before) problems.push(`refused with ${verdict.code} (HTTP ${verdict.httpStatus}) but the database changed`);
        before = after;
        stats.cases++;
        const code = verdict.code === undefined ? `http ${verdict.httpStatus}` : String(verdict.code);
        stats.byCode[code] = (stats.byCode[code] ?? 0) + 1;
        stats.byWire[c.wire.name] = (stats.byWire[c.wire.name] ?? 0) + 1;
        stats.slowestMs = Math.max(stats.slowestMs, sent.answer.durationMs);
        if (problems.length > 0) throw new Error(`${c.wire.name} ${c.target.service.typeName}/${c.target.method.name}: ${problems.join("; ")}`);
      }),
      { numRuns: run.runs, seed: run.seed, endOnFailure: false, maxSkipsPerRun: 100 },
    );
  } finally {
    h2.close();
  }
  return stats;
}
