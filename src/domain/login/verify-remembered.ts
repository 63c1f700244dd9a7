import type { AppDeps } from "../../app.js";
import type { Statement } from "../../store/statement.js";
import { auditInsertCte, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import { remainingCodesSql } from "../backup-codes/index.js";
import type { RequestMeta } from "../caller.js";
import type { Decision, LoginAttempt, LoginProof } from "../factors/index.js";
import { otpRowVersionsSql } from "../otp/index.js";
import { providerPolicyVersionSql } from "../policy/index.js";
import { relyingPartyFromJson } from "../relying-party/index.js";
import { admitJudgedCte, blockedAuditRow, blockedUntilSql, throttleRefusal } from "../throttle/index.js";
import type { RememberedChallenge } from "./memory.js";
import { outcomeAuditRows, refused, verified, type VerifyResult } from "./outcome.js";
import { providerFor } from "./providers.js";
import { claimableSql, claimAndSpendCte } from "./transaction-store.js";

/**
 * Verify of an OTP code settled in one statement, on the replica that
 * answered the transaction's Challenge and remembered its candidates
 * (memory.ts; docs/design.md "Database round trips").
 *
 * The code is judged in memory against the remembered rows before anything
 * is sent, by the same provider with the same constant work as the
 * two-statement path. Verify's read statement then carries these parts
 * beside its own:
 *
 * 1. `r_gate` reads, in the statement's snapshot, whether the transaction is
 *    still open to this user's attempt and the candidates and the provider
 *    policy are the versions Challenge read (`go`), and the user's wait
 *    (`open`: go, and not waiting). When `go` holds, the read's own parts do
 *    nothing (its claim is gated on NOT go); otherwise these parts do
 *    nothing, and the read goes on as if they were not there: so a Verify is
 *    still at most two statements.
 * 2. When `open`: the success's burn, or the refusal's notes (the resync
 *    candidates it remembers).
 * 3. When `go`: the attempt counted, and the transaction spent if the burn
 *    won, in one UPDATE.
 * 4. When `open`: the attempt admitted past the throttle and its outcome
 *    recorded in one upsert (a failure counted, a success resetting).
 * 5. The outcome's audit rows, or `throttle.blocked` when the user is waiting
 *    (the attempt counted, the proof not looked at).
 *
 * The writes lock their rows in that order (factor, transaction, throttle),
 * the two-statement path's order. When a row changed between the snapshot
 * and the lock (a concurrent attempt spent or used up the transaction, or
 * made the user wait), the statement aborts with CHANGED_UNDER and nothing is
 * written; the caller then runs the read alone. A burn lost to a concurrent
 * one is an ordinary refusal (`replayed`), as on the two-statement path.
 */

/** SQLSTATE of the statement when a row changed between its snapshot and its write. */
export const CHANGED_UNDER = "TF002";

type OtpProof = Extract<LoginProof, { kind: "otp" }>;

/** A remembered Challenge and the code's judgement against its rows. */
export interface Judged {
  remembered: RememberedChallenge;
  attempt: LoginAttempt;
  decision: Decision;
}

/** The columns the parts add to the statement's row (named `r_*`, beside the read's `h_*`). */
export interface RememberedRow {
  r_go: boolean;
  r_open: boolean;
  r_burnt: boolean;
  r_blocked_until: Date | null;
  r_remaining: number;
  r_audits: WrittenAuditRow[] | null;
}

/**
 * The code judged against the remembered candidates; undefined when the
 * proof names a factor Challenge did not read (pending, unknown, another
 * kind), which the two statements explain.
 */
export async function judgeRemembered(
  deps: Pick<AppDeps, "keyring" | "config" | "logger">,
  meta: RequestMeta,
  remembered: RememberedChallenge,
  proof: OtpProof,
  now: Date,
): Promise<Judged | undefined> {
  const named = proof.factorId;
  const candidates = named === undefined ? remembered.candidates : remembered.candidates.filter((r) => r.id === named);
  if (named !== undefined && candidates.length === 0) return undefined;
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
  return { remembered, attempt, decision: await providerFor(proof).check(deps, attempt, candidates, remembered.policy) };
}

/**
 * Adds `r_gate` (after the transactionStateCte named `txs`, before the
 * read's claim) and returns the SQL of `go`, on which the read's claim must
 * wait for NOT.
 */
export function rememberedGate(s: Statement, judged: Judged, txs: string): string {
  const user = s.named("user", judged.attempt.userId, "text");
  const same = `${otpRowVersionsSql(s, user)} = ${s.param(judged.remembered.candidateVersions, "text")}
        AND ${providerPolicyVersionSql(s)} = ${s.param(judged.remembered.policyVersion, "text")}`;
  s.with(
    "r_snap",
    `SELECT ${claimableSql(s, txs, user)} AND ${same} AS go, ${blockedUntilSql(s, user)} AS blocked_until`,
  );
  s.with("r_gate", `SELECT go, go AND (blocked_until IS NULL OR blocked_until <= ${s.ref("now")}) AS open, blocked_until FROM r_snap`);
  return "(SELECT go FROM r_gate)";
}

/**
 * Adds the writes (steps 2 to 5) and returns their select-list entries, to
 * come first in the list: each write runs when the list first reads it, so
 * left to right they lock the factor, the transaction, the throttle row.
 */
export function rememberedWrites(s: Statement, judged: Judged): string[] {
  const { attempt, decision } = judged;
  const user = s.ref("user");
  const [go, open] = ["(SELECT go FROM r_gate)", "(SELECT open FROM r_gate)"];
  let burnt = "false";
  const factorWrites: string[] = [];
  if (decision.verified) {
    s.with("r_burn", decision.burn.cte(s, open));
    burnt = "EXISTS (SELECT 1 FROM r_burn)";
    factorWrites.push(burnt);
  } else {
    (decision.notes ?? []).forEach((note, i) => {
      s.with(`r_note${i}`, note(s, open));
      factorWrites.push(`EXISTS (SELECT 1 FROM r_note${i})`);
    });
  }
  s.with("r_claim", claimAndSpendCte(s, go, burnt));
  s.with("r_admit", admitJudgedCte(s, user, burnt, open));
  const spent = "COALESCE((SELECT spent FROM r_claim), false)";
  s.with(
    "r_audit",
    auditInsertCte(s, attempt.meta, attempt.now, [
      blockedAuditRow(s, user, `${go} AND NOT ${open}`, "(SELECT blocked_until FROM r_gate)"),
      ...outcomeAuditRows(s, attempt, decision, { spent, burnt, gate: open }),
    ]),
  );
  const order = [...factorWrites, "EXISTS (SELECT 1 FROM r_claim)", "EXISTS (SELECT 1 FROM r_admit)"];
  const changed = `(${go} AND NOT EXISTS (SELECT 1 FROM r_claim)) OR (${open} AND NOT EXISTS (SELECT 1 FROM r_admit))`;
  return [
    `ARRAY[${order.join(", ")}] AS r_lock_order`,
    `${burnt} AS r_burnt`,
    `${go} AS r_go`,
    `${open} AS r_open`,
    "(SELECT blocked_until FROM r_gate) AS r_blocked_until",
    `${decision.verified ? remainingCodesSql(s, user) : "0"} AS r_remaining`,
    `CASE WHEN ${changed} THEN twofold_abort('${CHANGED_UNDER}', 'a row changed under the one-statement verify') END AS r_guard`,
    writtenAuditRows("r_audit", "r_audits"),
  ];
}

/** The answer, when the snapshot matched (`r_go`); undefined when the read's own parts ran instead. */
export function settleRemembered(judged: Judged, row: RememberedRow): VerifyResult | undefined {
  const { attempt, decision } = judged;
  if (!row.r_go) return undefined;
  if (!row.r_open) throw throttleRefusal(row.r_blocked_until, attempt.now);
  if (!decision.verified) return refused(decision.provider, decision.reason);
  if (!row.r_burnt) return refused(decision.provider, decision.burn.lostReason);
  return verified(attempt, decision, row.r_remaining);
}
