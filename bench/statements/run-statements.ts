/**
 * The `statements` subcommand's run: the login's calls, made by the
 * service's own domain code over one connection to a Postgres cluster under
 * callgrind (callgrind-postgres.ts), each kind of call counted in
 * instructions of the backend that served it. A replay compare-and-set, the
 * statement of `load`'s database ceiling, is counted the same way as the
 * yardstick.
 */
import { createHash, randomBytes } from "node:crypto";
import { pino } from "pino";
import type { AppDeps } from "../../src/app.js";
import { loadConfig } from "../../src/config/load.js";
import { totpCode } from "../../src/core/index.js";
import { createKeyring } from "../../src/crypto/keyring-aes.js";
import type { RequestMeta } from "../../src/domain/caller.js";
import { FixedClock } from "../../src/domain/clock.js";
import { challenge, ChallengeMemory, openTenantSettingsCache, verifyLogin, type TenantSettingsCache } from "../../src/domain/login/index.js";
import { confirmOtpEnrolment, enrolOtp, resolveOtpSpec } from "../../src/domain/otp/index.js";
import type { Random } from "../../src/domain/random.js";
import type { Db, Queryable, QueryOptions, QueryResult } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrate.js";
import { createPgDb } from "../../src/store/pg.js";
import { postgresBinDir, startCallgrindPostgres } from "./callgrind-postgres.js";

/** What one kind of call cost the backend. */
export interface StatementsPhase {
  name: string;
  /** Statements each call sent (BEGIN and COMMIT included). */
  statementsPerCall: number;
  /** Backend instructions per call, averaged over the measured calls. */
  instructionsPerCall: number;
}

export interface StatementsReport {
  kind: "statements";
  settings: { calls: number; warmup: number; users: number };
  phases: StatementsPhase[];
  /** Instructions of one replay compare-and-set (`load`'s database ceiling statement). */
  compareAndSet: number;
}

const META: RequestMeta = { caller: { tenant: "bench", keyId: "bench", role: "service" }, clientIp: "192.0.2.1", requestId: "statements" };
const T0 = new Date("2026-03-02T09:00:05Z");
const STEP_MS = 30_000;

/** Randomness from a counter: the same secrets and ids every run, so the same rows and the same counts. */
function countingRandom(): Random {
  let n = 0;
  const next = (): Buffer => createHash("sha256").update(`twofold-bench statements ${n++}`).digest();
  return {
    bytes(size: number): Buffer {
      const out = Buffer.alloc(size);
      for (let filled = 0; filled < size; filled += 32) next().copy(out, filled);
      return out;
    },
    uuid(): string {
      const b = next();
      b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
      b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
      const h = b.subarray(0, 16).toString("hex");
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
  };
}

/** A Db that counts the statements it sends, a transaction's BEGIN and COMMIT included. */
function counting(inner: Db): Db & { sent: number } {
  const db = Object.create(inner) as Db & { sent: number };
  db.sent = 0;
  const wrap = (q: Queryable): Queryable => ({
    query<R>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<R>> {
      db.sent++;
      return q.query<R>(sql, params, opts);
    },
    exec(script: string): Promise<void> {
      db.sent++;
      return q.exec(script);
    },
  });
  const outer = wrap(inner);
  db.query = outer.query;
  db.exec = outer.exec;
  db.transaction = <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
    db.sent += 2;
    return inner.transaction((tx) => fn(wrap(tx)));
  };
  return db;
}

/** A six-digit code that none of the window's steps shows. */
function wrongCode(secret: Buffer, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const shown = new Set([-1, 0, 1].map((d) => totpCode(secret, "SHA1", 6, 30, t + d * 30)));
  for (let i = 1; ; i++) {
    const c = ((Number(totpCode(secret, "SHA1", 6, 30, t)) + i * 123_457) % 1_000_000).toString().padStart(6, "0");
    if (!shown.has(c)) return c;
  }
}

type User = { id: string; secret: Buffer };

/** The deps a phase's calls get: the measured connection's counting Db. */
type Call<S> = (deps: AppDeps, user: User, state: S, i: number) => Promise<void>;

/**
 * Runs the phases. Callgrind writes a process's counts when it ends, so each
 * kind of call is run on two fresh connections: `warmup` calls then `calls`
 * on one, `warmup` then twice `calls` on the other, each on users of its own.
 * The difference is `calls` calls in a settled backend (Postgres takes its
 * generic plans after five executions of a statement); the connection's
 * start and the warm-up cancel out.
 */
export async function runStatements(opts: { calls: number; warmup: number; pgBin: string | undefined }): Promise<StatementsReport> {
  const bin = postgresBinDir(opts.pgBin);
  const cluster = await startCallgrindPostgres(bin);
  const setupPool = createPgDb({ url: cluster.url, poolSize: 2 });
  let settings: TenantSettingsCache | undefined;
  try {
    await migrate(setupPool);
    const clock = new FixedClock(T0);
    const config = { ...loadConfig({ TWOFOLD_LOG_LEVEL: "silent" }), keys: [{ id: "bench", key: randomBytes(32) }], pepper: randomBytes(32) };
    const setup: AppDeps = {
      config,
      db: setupPool,
      keyring: createKeyring(config.keys, config.pepper),
      clock,
      random: countingRandom(),
      logger: pino({ level: "silent" }),
    };
    const { warmup, calls } = opts;
    const users: User[] = [];
    for (let i = 0; i < 2 * warmup + 3 * calls; i++) users.push(await enrolUser(setup, `user-${i}`));
    const slices = [users.slice(0, warmup + calls), users.slice(warmup + calls)];

    const phases: StatementsPhase[] = [];
    const measure = async <S>(name: string, prepare: (slice: User[]) => Promise<S>, call: Call<S>): Promise<void> => {
      const runs: { instructions: number; statements: number }[] = [];
      for (const slice of slices) {
        const state = await prepare(slice);
        const pool = createPgDb({ url: cluster.url, poolSize: 1 });
        const db = counting(pool);
        const pid = (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
        if (pid === undefined) throw new Error("no backend pid");
        let counted = 0;
        for (const [i, user] of slice.entries()) {
          if (i === warmup) counted = db.sent;
          await call({ ...setup, db }, user, state, i);
        }
        runs.push({ instructions: 0, statements: db.sent - counted });
        await pool.close();
        (runs.at(-1) as { instructions: number }).instructions = await cluster.backendInstructions(pid);
      }
      const [one, two] = runs as [(typeof runs)[number], (typeof runs)[number]];
      phases.push({
        name,
        statementsPerCall: (two.statements - one.statements) / calls,
        instructionsPerCall: Math.round((two.instructions - one.instructions) / calls),
      });
    };
    const nextStep = (): void => clock.set(new Date(clock.now().getTime() + STEP_MS));
    /** Opens a transaction for each user of the slice on the setup connection, remembered in `memory` when given. */
    const opened = async (slice: User[], memory: ChallengeMemory | undefined) => {
      const transactions: string[] = [];
      for (const user of slice) transactions.push((await challenge(setup, META, { userId: user.id, userGroups: [] }, memory)).transactionId);
      return { memory, transactions };
    };
    const verifyCall =
      (right: boolean): Call<{ memory: ChallengeMemory | undefined; transactions: string[] }> =>
      async (deps, user, { memory, transactions }, i) => {
        const at = clock.now();
        const code = right ? totpCode(user.secret, "SHA1", 6, 30, Math.floor(at.getTime() / 1000)) : wrongCode(user.secret, at);
        const r = await verifyLogin(deps, META, { transactionId: transactions[i] as string, proof: { kind: "otp", code, factorId: undefined } }, memory);
        if (r.verified !== right) throw new Error(`a bench Verify answered ${r.verified ? "verified" : r.reason}`);
      };
    // As `twofold serve` runs it, a remembering Challenge has the replica's copy of the tenant's settings.
    settings = await openTenantSettingsCache(setup);
    const challengeCall =
      (remember: boolean): Call<ChallengeMemory | undefined> =>
      async (deps, user, memory) => {
        await challenge(deps, META, { userId: user.id, userGroups: [] }, remember ? memory : undefined, remember ? settings : undefined);
      };

    nextStep();
    // Each connection's first Challenge finds no copy of the settings (a warm-up call reads them), so the two
    // connections differ only in the counted calls.
    const fresh = (): Promise<ChallengeMemory> => {
      settings?.forget(META.caller.tenant);
      return Promise.resolve(new ChallengeMemory());
    };
    await measure("Challenge (remembered)", fresh, challengeCall(true));
    await measure("Verify, right code (remembered)", (slice) => opened(slice, new ChallengeMemory()), verifyCall(true));
    nextStep();
    await measure("Verify, wrong code (remembered)", (slice) => opened(slice, new ChallengeMemory()), verifyCall(false));
    nextStep();
    await measure("Challenge (not remembered)", () => Promise.resolve(undefined), challengeCall(false));
    await measure("Verify, right code (not remembered)", (slice) => opened(slice, undefined), verifyCall(true));

    // The yardstick: load's database ceiling statement, on a table of its own.
    await setupPool.exec(`CREATE TABLE cas (tenant text NOT NULL, user_id text NOT NULL, id uuid NOT NULL, last_step bigint NOT NULL, PRIMARY KEY (tenant, user_id, id));
      INSERT INTO cas SELECT 'bench', 'user-' || g, ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 0 FROM generate_series(0, ${users.length - 1}) AS g`);
    const casPhase = phases.length;
    await measure("compare-and-set", () => Promise.resolve(undefined), async (deps, user) => {
      const i = users.indexOf(user);
      await deps.db.query(
        "UPDATE cas SET last_step = $4 WHERE tenant = $1 AND user_id = $2 AND id = $3 AND last_step < $4 RETURNING last_step",
        ["bench", `user-${i}`, `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, 1],
        { name: "bench_cas" },
      );
    });
    const compareAndSet = phases.splice(casPhase)[0]?.instructionsPerCall ?? 0;
    return { kind: "statements", settings: { calls, warmup, users: users.length }, phases, compareAndSet };
  } finally {
    await settings?.close();
    await setupPool.close();
    await cluster.stop();
  }
}

/** Enrols and confirms a default TOTP factor for `id`, through the domain. */
async function enrolUser(deps: AppDeps, id: string): Promise<User> {
  const resolved = resolveOtpSpec({
    kind: "totp", algorithm: undefined, digits: 0, periodSeconds: 0, secret: new Uint8Array(0), counter: 0n,
    issuer: "", accountName: "", tokenProfile: "software",
  });
  if (!resolved.ok) throw new Error("the default TOTP spec was refused");
  const { factor, enrolment } = await enrolOtp(deps, META, { userId: id, label: "Phone", spec: resolved.spec });
  const secret = Buffer.from(enrolment.secretHex, "hex");
  const code = totpCode(secret, "SHA1", 6, 30, Math.floor(deps.clock.now().getTime() / 1000));
  const confirmed = await confirmOtpEnrolment(deps, META, { userId: id, factorId: factor.id, code });
  if (!confirmed.confirmed) throw new Error("a bench enrolment was not confirmed");
  return { id, secret };
}
