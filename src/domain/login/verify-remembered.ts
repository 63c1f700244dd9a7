import type { AppDeps } from "../../app.js";
import type { VerifyPath } from "../../metrics/index.js";
import type { QueryResult } from "../../store/db.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import { remainingCodesSql } from "../backup-codes/index.js";
import type { RequestMeta } from "../caller.js";
import { factorRowsFromJson, type Decision, type FactorRow, type LoginAttempt, type LoginProof } from "../factors/index.js";
import { otpRowVersionsSql, otpVerifyBasisSql } from "../otp/index.js";
import { providerPolicyFromJson, providerPolicyVersionSql, type ProviderPolicy, type ProviderPolicyRow } from "../policy/index.js";
import { relyingPartyFromJson } from "../relying-party/index.js";
import { admitJudgedCte, blockedAuditRow, blockedUntilSql, throttleRefusal } from "../throttle/index.js";
import type { RememberedChallenge } from "./memory.js";
import { outcomeAuditRows, refused, transactionError, transactionTaken, verified, type TransactionState, type VerifyResult } from "./outcome.js";
import { providerFor } from "./providers.js";
import { claimAndSpendCte, transactionRowSql } from "./transaction-store.js";

/**
 * Verify of an OTP code on the replica that answered the transaction's
 * Challenge and remembered its candidates (memory.ts; docs/design.md
 * "Database round trips"): judged in memory first, then settled by one
 * statement that carries the whole Verify.
 *
 * The code is judged against the remembered rows before anything is sent,
 * by the same provider with the same constant work as the two-statement
 * path. The statement then:
 *
 * 1. reads, in its snapshot, whether the transaction is still open to this
 *    user's attempt, and the OTP rows and the provider policy are still the
 *    versions Challenge read (`go`), and the user's wait (`open`: go, and
 *    not waiting);
 * 2. when `open`, burns the accepted step, or remembers a refusal's resync
 *    candidates;
 * 3. when `go`, counts the attempt and, when the burn won, spends the
 *    transaction, in one UPDATE;
 * 4. when `open`, admits the attempt past the throttle and records its
 *    outcome in one upsert (a failure counted, a success resetting);
 * 5. writes the outcome's audit rows, or `throttle.blocked` when the user is
 *    waiting (the attempt counted, the proof not looked at).
 *
 * The writes lock their rows in that order (factor, transaction, throttle),
 * the two-statement path's order, and each re-checks its own conditions on
 * the row it locks: a burn lost to a concurrent one is an ordinary refusal
 * (`replayed`), as on that path.
 *
 * When the rows changed since the Challenge (a factor enrolled, removed,
 * renamed or used, the policy set), the statement writes nothing and reads
 * the candidates and the policy afresh instead; the code is judged again
 * and a second statement of the same form settles it, checking only the
 * transaction, as the two-statement path's write relies on its read. When a
 * row changes between the snapshot and the lock, the statement aborts and
 * nothing is written: the transaction taken by a concurrent attempt answers
 * TRANSACTION_UNAVAILABLE, as the read does for that race; a user made to
 * wait in between is for the two-statement path, whose read refuses them
 * with its audit row.
 */

/** SQLSTATE of the statement when the transaction could take no attempt at its lock (a concurrent attempt took it). */
const CLAIM_LOST = "TF002";
/** SQLSTATE of the statement when the user came to wait between its snapshot and its admission. */
const ADMISSION_LOST = "TF003";

type OtpProof = Extract<LoginProof, { kind: "otp" }>;

/** What a statement relies on: the rows it judged, and (the first time) the versions it expects them at. */
interface Basis {
  candidates: readonly FactorRow[];
  policy: ProviderPolicy;
  versions: { candidates: string; policy: string } | undefined;
}

interface SettleRow extends TransactionState {
  r_claimable: boolean;
  r_go: boolean;
  r_open: boolean;
  r_burnt: boolean;
  r_blocked_until: Date | null;
  r_remaining: number;
  /** Read only when the rows changed since the Challenge. */
  r_basis: { providers: ProviderPolicyRow | null; candidates: Record<string, unknown>[] | null } | null;
  r_audits: WrittenAuditRow[] | null;
}

/**
 * The Verify settled from a remembered Challenge: its answer, or undefined
 * when it is for the two-statement path (a named factor Challenge did not
 * read, or a user made to wait under the statement). `route.path` becomes
 * `remembered_changed` when the rows changed since the Challenge.
 */
export async function verifyRemembered(
  deps: Pick<AppDeps, "db" | "keyring" | "config" | "logger">,
  meta: RequestMeta,
  remembered: RememberedChallenge,
  proof: OtpProof,
  now: Date,
  route: { path: VerifyPath },
): Promise<VerifyResult | undefined> {
  const named = proof.factorId;
  const pick = (rows: readonly FactorRow[]) => (named === undefined ? rows : rows.filter((r) => r.id === named));
  // A named factor Challenge did not read (pending, unknown, another kind) is for the two statements to explain.
  if (named !== undefined && pick(remembered.candidates).length === 0) return undefined;
  const attempt: LoginAttempt = {
    meta,
    tenant: remembered.tenant,
    userId: remembered.userId,
    purpose: "second_factor",
    transactionId: remembered.transactionId,
    now,
    challenge: undefined,
    relyingParty: relyingPartyFromJson(deps.config, null),
    userHandle: undefined,
  };
  let basis: Basis = {
    candidates: pick(remembered.candidates),
    policy: remembered.policy,
    versions: { candidates: remembered.candidateVersions, policy: remembered.policyVersion },
  };
  for (;;) {
    const decision = await providerFor(proof).check(deps, attempt, basis.candidates, basis.policy);
    let r;
    try {
      r = await settleStatement(deps, attempt, decision, basis, named);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === CLAIM_LOST) throw transactionTaken();
      if (code === ADMISSION_LOST) return undefined;
      throw err;
    }
    const first = r.rows[0];
    if (first === undefined) throw new Error("the one-statement verify returned no row");
    logWrittenAudits(deps.logger, meta, first.r_audits);
    if (!first.r_claimable) throw transactionError(first, now);
    if (!first.r_go) {
      // The second statement checks no versions, so it always goes ahead once the transaction can take the attempt.
      if (basis.versions === undefined) throw new Error("the one-statement verify held back twice");
      // Changed since the Challenge: judge again on the rows this statement read, and settle on them.
      route.path = "remembered_changed";
      basis = {
        candidates: factorRowsFromJson(first.r_basis?.candidates ?? null),
        policy: providerPolicyFromJson(first.r_basis?.providers ?? null),
        versions: undefined,
      };
      continue;
    }
    if (!first.r_open) throw throttleRefusal(first.r_blocked_until, now);
    if (!decision.verified) return refused(decision.provider, decision.reason);
    if (!first.r_burnt) return refused(decision.provider, decision.burn.lostReason);
    return verified(attempt, decision, first.r_remaining);
  }
}

/** The one statement (steps 1 to 5), with the fresh candidates and policy when the versions differ. */
function settleStatement(deps: Pick<AppDeps, "db">, attempt: LoginAttempt, decision: Decision, basis: Basis, named: string | undefined): Promise<QueryResult<SettleRow>> {
  const s = new Statement();
  s.define("tenant", attempt.tenant, "text");
  s.define("now", attempt.now, "timestamptz");
  s.define("transaction", attempt.transactionId, "uuid");
  const user = s.named("user", attempt.userId, "text");
  const transaction = transactionRowSql(s, user);
  const same =
    basis.versions === undefined
      ? "true"
      : `${otpRowVersionsSql(s, user)} = ${s.param(basis.versions.candidates, "text")}
        AND ${providerPolicyVersionSql(s)} = ${s.param(basis.versions.policy, "text")}`;
  s.with(
    "gate",
    `SELECT claimable, claimable AND same AS go, claimable AND same AND (blocked_until IS NULL OR blocked_until <= ${s.ref("now")}) AS open,
       blocked_until, h_tx_expires_at, h_tx_spent_at, h_tx_attempts
     -- OFFSET 0 keeps the snapshot's lookups in one subquery, each run once, rather than copied into every column that reads them.
     FROM (SELECT ${transaction.columns}, ${same} AS same, ${blockedUntilSql(s, user)} AS blocked_until FROM ${transaction.from} OFFSET 0) snap`,
  );
  const [go, open] = ["(SELECT go FROM gate)", "(SELECT open FROM gate)"];
  let burnt = "false";
  // The factor writes, first in the lock order.
  const factorWrites: string[] = [];
  if (decision.verified) {
    s.with("burn", decision.burn.cte(s, open));
    burnt = "EXISTS (SELECT 1 FROM burn)";
    factorWrites.push(burnt);
  } else {
    (decision.notes ?? []).forEach((note, i) => {
      s.with(`note${i}`, note(s, open));
      // Read in full: EXISTS would stop at the first row, leaving the other factors' locks to the statement's end.
      factorWrites.push(`(SELECT count(*) FROM note${i}) >= 0`);
    });
  }
  s.with("claim", claimAndSpendCte(s, go, burnt));
  s.with("admit", admitJudgedCte(s, user, burnt, open));
  const spent = "COALESCE((SELECT spent FROM claim), false)";
  s.with(
    "audit",
    auditInsertCte(s, attempt.meta, attempt.now, [
      blockedAuditRow(s, user, `${go} AND NOT ${open}`, "(SELECT blocked_until FROM gate)"),
      ...outcomeAuditRows(s, attempt, decision, { spent, burnt, gate: open }),
    ]),
  );
  // Each write runs when the select list first reads it: left to right, the factor writes, the claim, the admission.
  const order = [...factorWrites, "EXISTS (SELECT 1 FROM claim)", "EXISTS (SELECT 1 FROM admit)"];
  // The select list reads the gate's row as columns (FROM gate g) rather than each through a subquery of its own,
  // which Postgres would prepare apart on every run. The gate holds only reads, so scanning it first moves no write.
  const head = [
    `ARRAY[${order.join(", ")}] AS r_lock_order`,
    `CASE WHEN g.go AND NOT EXISTS (SELECT 1 FROM claim) THEN twofold_abort('${CLAIM_LOST}', 'the transaction was taken under the one-statement verify') END AS r_claim_guard`,
    `CASE WHEN g.open AND NOT EXISTS (SELECT 1 FROM admit) THEN twofold_abort('${ADMISSION_LOST}', 'the user came to wait under the one-statement verify') END AS r_admit_guard`,
    "g.claimable AS r_claimable",
    "g.go AS r_go",
    "g.open AS r_open",
    `${burnt} AS r_burnt`,
    "g.blocked_until AS r_blocked_until",
    `${decision.verified ? remainingCodesSql(s, user) : "0"} AS r_remaining`,
    // Read only when the versions differ: the candidates and the policy to judge the code on again.
    `${basis.versions === undefined ? "NULL::json" : `CASE WHEN NOT g.go AND g.claimable THEN ${otpVerifyBasisSql(s, user, named)} END`} AS r_basis`,
    "g.h_tx_expires_at, g.h_tx_spent_at, g.h_tx_attempts",
    writtenAuditRows("audit", "r_audits"),
  ].join(",\n  ");
  return s.run<SettleRow>(deps.db, `SELECT ${head} FROM gate g`);
}
