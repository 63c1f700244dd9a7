import { createClient, createRouterTransport, type Client, type Interceptor } from "@connectrpc/connect";
import { pino, type Logger } from "pino";
import type { AppDeps } from "../../src/app.js";
import { CROCKFORD_ALPHABET } from "../../src/domain/backup-codes/index.js";
import { DomainError } from "../../src/domain/errors.js";
import { challenge, verifyLogin } from "../../src/domain/login/index.js";
import type { Caller, RequestMeta } from "../../src/domain/caller.js";
import type { Random } from "../../src/domain/random.js";
import { seededRandom } from "../support/random.js";
import { AppPasswordService } from "../../src/gen/twofold/v1/app_passwords_pb.js";
import { BackupCodeService } from "../../src/gen/twofold/v1/backup_codes_pb.js";
import { appPasswordServiceImpl } from "../../src/rpc/app-password-service.js";
import { backupCodeServiceImpl } from "../../src/rpc/backup-code-service.js";
import { callerKey, requestIdKey } from "../../src/rpc/context.js";
import { toConnectError } from "../../src/rpc/errors.js";
import type { Queryable } from "../../src/store/db.js";

/** Shared test plumbing for the backup code and app password suites. */

export const CALLER: Caller = { tenant: "tenant-a", keyId: "key-service-1", role: "service" };
export const OTHER_TENANT: Caller = { tenant: "tenant-b", keyId: "key-service-2", role: "service" };
export const CLIENT_IP = "203.0.113.7";
export const START = new Date("2026-03-01T12:00:00Z");

export function metaFor(caller: Caller = CALLER, clientIp = CLIENT_IP): RequestMeta {
  return { caller, clientIp, requestId: "req-test" };
}

export interface Clients {
  backup: Client<typeof BackupCodeService>;
  apps: Client<typeof AppPasswordService>;
}

/**
 * Both services behind an in-memory Connect router, with an interceptor that
 * plays the transport's part: it sets the authenticated caller and maps thrown
 * errors to wire errors with the project's one mapping (src/rpc/errors.ts).
 */
export function clientsFor(deps: AppDeps, caller: Caller = CALLER): Clients {
  const asTransport: Interceptor = (next) => async (req) => {
    req.contextValues.set(callerKey, caller);
    req.contextValues.set(requestIdKey, "req-test");
    try {
      return await next(req);
    } catch (err) {
      throw toConnectError(err, deps.logger);
    }
  };
  const transport = createRouterTransport(
    (router) => {
      router.service(BackupCodeService, backupCodeServiceImpl(deps));
      router.service(AppPasswordService, appPasswordServiceImpl(deps));
    },
    { router: { interceptors: [asTransport] } },
  );
  return { backup: createClient(BackupCodeService, transport), apps: createClient(AppPasswordService, transport) };
}

/** A pino logger at info level whose lines land in `lines`, to search for secrets. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => { lines.push(line); if (process.env["TF_DEBUG_LOG"]) process.stderr.write(line); } });
  return { logger, lines };
}

/**
 * Randomness that spells out scripted Crockford strings (one per `bytes` call
 * whose length matches) and seeded otherwise (seededRandom), so a test can
 * know a code in advance. `script` queues more.
 */
export function scriptedRandom(symbols: string[] = []): Random & { script(more: string[]): void } {
  const queue = [...symbols];
  const fallback = seededRandom("scripted");
  return {
    script: (more) => void queue.push(...more),
    bytes(n: number): Buffer {
      const next = queue[0];
      if (next !== undefined && next.length === n) {
        queue.shift();
        return Buffer.from([...next].map((c) => CROCKFORD_ALPHABET.indexOf(c)));
      }
      return fallback.bytes(n);
    },
    uuid: () => fallback.uuid(),
  };
}

/** Every row of the tables these services touch, for before/after comparisons. */
export async function snapshot(db: Queryable): Promise<string> {
  const tables = [
    "SELECT * FROM backup_code_lists ORDER BY tenant_id, user_id",
    "SELECT * FROM backup_codes ORDER BY tenant_id, user_id, code_hash",
    "SELECT * FROM app_passwords ORDER BY tenant_id, user_id, id",
    "SELECT * FROM audit_events ORDER BY tenant_id, user_id, id",
    "SELECT * FROM throttles ORDER BY tenant_id, user_id",
  ];
  const out: unknown[] = [];
  for (const sql of tables) out.push((await db.query(sql)).rows);
  return JSON.stringify(out);
}

/** All audit rows as text, to search for secrets. */
export async function auditText(db: Queryable): Promise<string> {
  return JSON.stringify((await db.query("SELECT * FROM audit_events ORDER BY id")).rows);
}

/** Audit kinds of a user in order. */
export async function auditKinds(db: Queryable, userId: string): Promise<string[]> {
  const r = await db.query<{ kind: string }>("SELECT kind FROM audit_events WHERE user_id = $1 ORDER BY id", [userId]);
  return r.rows.map((row) => row.kind);
}

/** What redeeming one backup code came to. */
export type Redeemed = { ok: true; remaining: number } | { ok: false; reason: string };

/**
 * Redeems a backup code the one way the service does: Challenge, then Verify
 * with a `backup_code` proof. The user's throttle is cleared first, as for a
 * user with no earlier failures, so a suite can try many codes in a row;
 * attempts racing at once still meet it ("throttled").
 */
export async function redeemBackupCode(deps: AppDeps, meta: RequestMeta, userId: string, code: string): Promise<Redeemed> {
  await deps.db.query("DELETE FROM throttles WHERE tenant_id = $1 AND user_id = $2", [meta.caller.tenant, userId]);
  const ch = await challenge(deps, meta, { userId, userGroups: [] });
  try {
    const r = await verifyLogin(deps, meta, { transactionId: ch.transactionId, proof: { kind: "backup_code", code } });
    return r.verified ? { ok: true, remaining: r.context.backupCodesRemaining } : { ok: false, reason: r.reason };
  } catch (err) {
    if (err instanceof DomainError && err.kind === "resource_exhausted") return { ok: false, reason: "throttled" };
    throw err;
  }
}
