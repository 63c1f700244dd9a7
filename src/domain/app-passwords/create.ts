import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import { groupSymbols, randomCrockford } from "../backup-codes/index.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition } from "../errors.js";
import { appPasswordMaxLifetimeSql, policyAllowsSql, policyGateCte, policyRefusalError, type PolicyRefusal } from "../policy/index.js";
import type { AppPasswordView } from "./app-password.js";
import { APP_PASSWORD_GROUP, APP_PASSWORD_HASH_PURPOSE, APP_PASSWORD_SYMBOLS, MAX_LIVE_APP_PASSWORDS } from "./rules.js";
import { insertAppPasswordCte, lockUserForCreate, toView, type Row } from "./store.js";

/** A validated request for a new app password (see rules.ts for the checks). */
export interface CreateAppPasswordInput {
  userId: string;
  name: string;
  /** 1..16 well-formed scope names; duplicates are dropped here. */
  scopes: readonly string[];
  /** Lifetime in milliseconds; undefined means it never expires. */
  ttlMs: number | undefined;
}

export interface CreatedAppPassword {
  appPassword: AppPasswordView;
  /** Shown to the user once as xxxxx-xxxxx-xxxxx-xxxxx-xxxxx; only its keyed hash is stored. */
  password: string;
}

/**
 * Issues an app password. The live-count check and the insert are one
 * statement (with its audit row), run under a per-user lock taken first in
 * the same transaction, so concurrent creations cannot push a user past 100
 * live app passwords (FAILED_PRECONDITION beyond that): the statement's
 * snapshot is taken after the lock, and sees every creation before it.
 *
 * The tenant's provider policy gates the insert in the same statement: app
 * passwords turned off are FAILED_PRECONDITION PROVIDER_DISABLED, a ttl past
 * the policy's maximum lifetime PROVIDER_POLICY_LIMIT naming `ttl`, and a
 * password asked without a ttl gets that maximum (docs/design.md "Provider policy").
 */
export async function createAppPassword(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random" | "logger">,
  meta: RequestMeta,
  input: CreateAppPasswordInput,
): Promise<CreatedAppPassword> {
  const now = deps.clock.now();
  const symbols = randomCrockford(deps.random, APP_PASSWORD_SYMBOLS);
  const scopes = [...new Set(input.scopes)];
  const expiresAt = input.ttlMs === undefined ? undefined : new Date(now.getTime() + input.ttlMs);
  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("user", input.userId, "text");
  s.define("now", now, "timestamptz");
  const p = { id: deps.random.uuid(), name: input.name, scopes, hash: deps.keyring.keyedHash(APP_PASSWORD_HASH_PURPOSE, symbols), expiresAt };
  s.with("gate", policyGateCte(s, { kind: "app_passwords", ttlMs: input.ttlMs }));
  s.with(
    "inserted",
    insertAppPasswordCte(s, p, MAX_LIVE_APP_PASSWORDS, { when: policyAllowsSql("gate"), defaultLifetimeMsSql: appPasswordMaxLifetimeSql(s) }),
  );
  s.with(
    "audit",
    auditInsertCte(s, meta, now, [
      {
        kind: "app_password.created",
        userId: input.userId,
        factorId: p.id,
        detailsSql: `jsonb_build_object('scopes', ${s.param(scopes.join(" "), "text")}, 'expires', (SELECT expires_at IS NOT NULL FROM inserted))`,
        when: "EXISTS (SELECT 1 FROM inserted)",
      },
    ]),
  );
  const r = await deps.db.transaction(async (tx) => {
    await lockUserForCreate(tx, meta.caller.tenant, input.userId);
    return s.run<Partial<Row> & { h_refusal: PolicyRefusal | null; audits: WrittenAuditRow[] | null }>(
      tx,
      `SELECT inserted.*, (SELECT refusal FROM gate) AS h_refusal, ${writtenAuditRows("audit")} FROM (SELECT 1) one LEFT JOIN inserted ON true`,
    );
  });
  const row = r.rows[0];
  // Ensure the tenant offers app passwords, for no longer than it allows.
  if (row?.h_refusal !== null && row?.h_refusal !== undefined) throw policyRefusalError(row.h_refusal, "app_passwords");
  // Ensure the user stays within the limit of live app passwords.
  if (row?.id === null || row?.id === undefined) {
    throw failedPrecondition(`a user may hold at most ${MAX_LIVE_APP_PASSWORDS} live app passwords`, "APP_PASSWORD_LIMIT");
  }
  logWrittenAudits(deps.logger, meta, row.audits);
  return { appPassword: toView(row as Row), password: groupSymbols(symbols, APP_PASSWORD_GROUP) };
}
