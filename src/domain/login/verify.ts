import type { AppDeps } from "../../app.js";
import { metrics, type VerifyPath } from "../../metrics/index.js";
import type { Queryable, QueryResult } from "../../store/db.js";
import { asyncCommitColumn, Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import { remainingCodesSql } from "../backup-codes/index.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition, notFound } from "../errors.js";
import { isUuid, type Decision, type FactorRow, type LoginAttempt, type LoginProof } from "../factors/index.js";
import { providerPolicyFromJson, providerPolicyJsonSql, type ProviderPolicyRow } from "../policy/index.js";
import { relyingPartyFromJson, relyingPartyJsonSql, type RelyingPartyRow } from "../relying-party/index.js";
import { admitCte, blockedAuditRow, resetCte, throttleRefusal, waitCte } from "../throttle/index.js";
import { userHandleSql } from "../webauthn/index.js";
import type { ChallengeMemory } from "./memory.js";
import { outcomeAuditRows, refused, transactionError, verified, type VerifyResult } from "./outcome.js";
import { providerFor, type BoundProvider } from "./providers.js";
import { verifyRemembered } from "./verify-remembered.js";
import { claimAttemptCte, spendCte, transactionStateColumns, transactionStateCte, type Purpose } from "./transaction-store.js";

/** SQLSTATE the write raises when it burnt a proof's state but another attempt spent the transaction first. */
const SPENT_RACE = "TF001";

/** The first statement's head: the claim, the throttle's answer and what the flow itself needs. */
interface ReadHead {
  h_claimed: boolean;
  h_purpose: Purpose | null;
  h_challenge: string | null;
  h_user: string | null;
  h_admitted: boolean;
  h_blocked_until: Date | null;
  h_tx_expires_at: Date | null;
  h_tx_spent_at: Date | null;
  h_tx_attempts: number | null;
  h_backup_remaining: number;
  h_rp: RelyingPartyRow | null;
  h_user_handle: string | null;
  h_providers: ProviderPolicyRow | null;
  audits: WrittenAuditRow[] | null;
}

type ReadRow = ReadHead & { [K in keyof FactorRow]: FactorRow[K] | null };

/**
 * Checks one proof against an open login transaction in two statements,
 * whatever the outcome (docs/design.md "Database round trips"):
 *
 * 1. One read: count the attempt on the transaction (unknown → NOT_FOUND;
 *    expired, spent or out of attempts → FAILED_PRECONDITION); name the user
 *    (the transaction's, or on a passwordless transaction the owner of the
 *    presented credential); admit the attempt past that user's throttle, or
 *    answer RESOURCE_EXHAUSTED without looking at the proof (audited); and
 *    load the provider's candidates and the tenant's provider policy.
 * 2. The provider judges the proof in memory with constant work, against
 *    the candidates of kinds the policy offers (providers.ts decides).
 * 3. One write: on success, burn the single-use state (step, counter, code),
 *    spend the transaction, reset the throttle and write the audit row,
 *    together or not at all; on a refusal, what the refusal remembers and
 *    its audit row.
 *
 * With the replica's ChallengeMemory, an OTP code on a transaction whose
 * Challenge this replica answered is settled in one statement instead, or
 * two when a factor or the policy changed since (verify-remembered.ts); what
 * that cannot settle (a row changed under it) comes here.
 */
export async function verifyLogin(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "config" | "logger">,
  meta: RequestMeta,
  input: { transactionId: string; proof: LoginProof },
  memory?: ChallengeMemory,
): Promise<VerifyResult> {
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  if (!isUuid(input.transactionId)) throw notFound("login transaction");
  // Counted once the Verify is answered, whatever the answer (twofold_login_verify_paths_total).
  const route: { path: VerifyPath } = { path: "read_write" };
  try {
    // The entry goes with the transaction's first Verify, whatever its proof; only an OTP code uses it.
    const remembered = memory?.take(tenant, input.transactionId, now);
    if (remembered !== undefined && input.proof.kind === "otp") {
      route.path = "remembered";
      const settled = await verifyRemembered(deps, meta, remembered, input.proof, now, route);
      if (settled !== undefined) return settled;
      route.path = "remembered_fallback";
    }
    return await readAndWrite(deps, meta, now, input);
  } finally {
    metrics.verifyPath(route.path);
  }
}

/** The two statements: steps 1 to 3 above. */
async function readAndWrite(
  deps: Pick<AppDeps, "db" | "keyring" | "config" | "logger">,
  meta: RequestMeta,
  now: Date,
  input: { transactionId: string; proof: LoginProof },
): Promise<VerifyResult> {
  const tenant = meta.caller.tenant;
  const provider = providerFor(input.proof);

  // Statement 1: claim, identify, admit, load.
  const read = await readStatement(deps.db, meta, now, input, provider);
  const first = read.rows[0];
  if (first === undefined) throw new Error("the verify read returned no row");
  logWrittenAudits(deps.logger, meta, first.audits);

  // Ensure the transaction was open and took this attempt.
  if (!first.h_claimed) throw transactionError(first, now);
  const purpose = first.h_purpose ?? "second_factor";
  // A passwordless transaction has no user until a credential names one: nothing else can.
  if (purpose === "passwordless" && input.proof.kind !== "webauthn") {
    throw failedPrecondition("a passwordless login transaction takes a WebAuthn assertion only", "PASSWORDLESS_NEEDS_WEBAUTHN");
  }
  const userId = first.h_user ?? "";
  // Ensure the user is not waiting out earlier failures (their attempts are not evaluated).
  if (first.h_user !== null && !first.h_admitted) throw throttleRefusal(first.h_blocked_until, now);

  const candidates = read.rows.filter((r): r is ReadHead & FactorRow => r.id !== null);
  const attempt: LoginAttempt = {
    meta,
    tenant,
    userId,
    purpose,
    transactionId: input.transactionId,
    now,
    challenge: first.h_challenge ?? undefined,
    relyingParty: relyingPartyFromJson(deps.config, first.h_rp),
    userHandle: first.h_user_handle ?? undefined,
  };
  const decision = await provider.check(deps, attempt, candidates, providerPolicyFromJson(first.h_providers));

  // Statement 2: the one write.
  return write(deps, attempt, decision, first.h_backup_remaining);
}

/** Verify's first statement: the claim, the user, the admission and the candidates. */
function readStatement(
  db: Queryable,
  meta: RequestMeta,
  now: Date,
  input: { transactionId: string; proof: LoginProof },
  provider: BoundProvider,
): Promise<QueryResult<ReadRow>> {
  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("now", now, "timestamptz");
  s.define("transaction", input.transactionId, "uuid");
  s.with("claim", claimAttemptCte(s));
  const identify = provider.identifySql?.(s) ?? "NULL::text";
  s.with("who", `SELECT CASE WHEN c.purpose = 'passwordless' THEN ${identify} ELSE c.user_id END AS user_id FROM claim c`);
  s.with("admit", admitCte(s, "SELECT user_id FROM who WHERE user_id IS NOT NULL"));
  const whoUser = "(SELECT user_id FROM who)";
  // The wait and the transaction's state are each looked up once, however many parts read them.
  s.with("wait", waitCte(s, whoUser));
  const blockedUntil = "(SELECT blocked_until FROM wait)";
  s.with("blocked", auditInsertCte(s, meta, now, [blockedAuditRow(s, whoUser, `${whoUser} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM admit)`, blockedUntil)]));
  s.with("txs", transactionStateCte(s));
  s.with("cand", provider.candidatesSql(s, whoUser));
  const assertion = input.proof.kind === "webauthn";
  const head = [
    "EXISTS (SELECT 1 FROM claim) AS h_claimed",
    "(SELECT purpose FROM claim) AS h_purpose",
    "(SELECT challenge FROM claim) AS h_challenge",
    `${whoUser} AS h_user`,
    "EXISTS (SELECT 1 FROM admit) AS h_admitted",
    `${blockedUntil} AS h_blocked_until`,
    transactionStateColumns("txs"),
    `${remainingCodesSql(s, whoUser)} AS h_backup_remaining`,
    `${assertion ? relyingPartyJsonSql(s) : "NULL::json"} AS h_rp`,
    `${assertion ? userHandleSql(s, whoUser) : "NULL::text"} AS h_user_handle`,
    `${providerPolicyJsonSql(s)} AS h_providers`,
    writtenAuditRows("blocked"),
    // What the read counts is flushed by the write that follows it; a refusal it answers alone waits for its own flush.
    asyncCommitColumn("EXISTS (SELECT 1 FROM blocked)"),
  ].join(",\n  ");
  return s.run<ReadRow>(db, `SELECT h.*, cand.* FROM (SELECT ${head}) h LEFT JOIN cand ON true ORDER BY cand.created_at, cand.id`);
}

async function write(
  deps: Pick<AppDeps, "db" | "logger">,
  attempt: LoginAttempt,
  decision: Decision,
  backupRemaining: number,
): Promise<VerifyResult> {
  const { meta, now } = attempt;
  const s = new Statement();
  s.define("tenant", attempt.tenant, "text");
  s.define("now", now, "timestamptz");
  s.define("transaction", attempt.transactionId, "uuid");
  s.define("user", attempt.userId, "text");

  if (!decision.verified) {
    (decision.notes ?? []).forEach((note, i) => s.with(`note${i}`, note(s)));
    s.with("audit", auditInsertCte(s, meta, now, outcomeAuditRows(s, attempt, decision, { spent: "false", burnt: "false" })));
    const r = await s.run<{ audits: WrittenAuditRow[] | null }>(deps.db, `SELECT ${writtenAuditRows("audit")}`);
    logWrittenAudits(deps.logger, meta, r.rows[0]?.audits);
    return refused(decision.provider, decision.reason);
  }

  const spent = "EXISTS (SELECT 1 FROM spend)";
  const burnt = "EXISTS (SELECT 1 FROM burn)";
  s.with("burn", decision.burn.cte(s));
  s.with("spend", spendCte(s, burnt));
  s.with("reset", resetCte(s, s.ref("user"), spent));
  s.with("audit", auditInsertCte(s, meta, now, outcomeAuditRows(s, attempt, decision, { spent, burnt })));
  const remaining = decision.burn.remainingSql?.(s) ?? "NULL::integer";
  let r;
  try {
    r = await s.run<{ burnt: boolean; remaining: number | null; guard: boolean | null; audits: WrittenAuditRow[] | null }>(
      deps.db,
      `SELECT ${burnt} AS burnt, ${remaining} AS remaining,
        CASE WHEN ${burnt} AND NOT ${spent}
          THEN twofold_abort('${SPENT_RACE}', 'the login transaction was spent by another attempt') END AS guard,
        ${writtenAuditRows("audit")}`,
    );
  } catch (err) {
    if ((err as { code?: unknown }).code === SPENT_RACE) throw failedPrecondition("the login transaction was already used", "TRANSACTION_SPENT");
    throw err;
  }
  const row = r.rows[0];
  logWrittenAudits(deps.logger, meta, row?.audits);
  if (row?.burnt !== true) return refused(decision.provider, decision.burn.lostReason);
  return verified(attempt, decision, row.remaining ?? backupRemaining);
}
