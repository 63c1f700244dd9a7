import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type AuditDetails, type AuditRowPart, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition, notFound } from "../errors.js";
import { factorFromRow, findFactor, isUuid, type Factor, type FactorRow, type FailureReason } from "../factors/index.js";
import { policyRefusalError } from "../policy/index.js";
import { admitCte, blockedAuditRow, blockedUntilSql, resetCte, throttleRefusal } from "../throttle/index.js";
import { checkOtpFactor, otpDriftSeconds } from "./kinds.js";
import { activateCte, otpFactorSql, rememberResyncCte } from "./store.js";

/** Confirmation checks ±1 step around a new factor's zero drift (docs/design.md "TOTP and HOTP"). */
export const CONFIRM_WINDOW = 1;

/** A pending factor of the user's, and the code that proves it. */
export interface ConfirmOtpInput {
  userId: string;
  factorId: string;
  code: string;
}

/** Confirmed, or still pending with the reason (a wrong code is an ordinary outcome). */
export type ConfirmOtpResult = { confirmed: true; factor: Factor } | { confirmed: false; factor: Factor; reason: FailureReason };

type ReadRow = Partial<FactorRow> & { h_admitted: boolean; h_blocked_until: Date | null; audits: WrittenAuditRow[] | null };

/**
 * Proves a pending TOTP or HOTP enrolment with one code (the factor's kind
 * says which), in two statements.
 *
 * The first reads the factor and, if it is an OTP factor still pending,
 * admits the attempt past the user's throttle (or audits the wait); NOT_FOUND
 * (no such OTP factor), ALREADY_CONFIRMED and ENROLMENT_EXPIRED cost no
 * throttle. The code is then checked in memory: TOTP within ±1 step of a zero
 * drift, HOTP within the look-ahead of the starting counter, or the second of
 * two consecutive codes beyond it. The second statement writes the outcome
 * with its audit row: on success the proving step is burnt in the one
 * conditional UPDATE that activates the factor, and the throttle reset.
 */
export async function confirmOtpEnrolment(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "config" | "logger">,
  meta: RequestMeta,
  input: ConfirmOtpInput,
): Promise<ConfirmOtpResult> {
  if (!isUuid(input.factorId)) throw notFound("factor");
  const now = deps.clock.now();
  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("user", input.userId, "text");
  s.define("now", now, "timestamptz");
  s.with("f", otpFactorSql(s, input.factorId));
  // Only a live enrolment of a kind the tenant still offers reaches the throttle (admitted, or audited as waiting).
  const confirmable = `state = 'pending' AND pending_expires_at > ${s.ref("now")} AND NOT disabled_by_policy`;
  s.with("admit", admitCte(s, `SELECT user_id FROM f WHERE ${confirmable}`));
  const blockedUntil = blockedUntilSql(s, s.ref("user"));
  const waiting = `EXISTS (SELECT 1 FROM f WHERE ${confirmable}) AND NOT EXISTS (SELECT 1 FROM admit)`;
  s.with("blocked", auditInsertCte(s, meta, now, [blockedAuditRow(s, s.ref("user"), waiting)]));
  const read = await s.run<ReadRow>(
    deps.db,
    `SELECT f.*, EXISTS (SELECT 1 FROM admit) AS h_admitted, ${blockedUntil} AS h_blocked_until, ${writtenAuditRows("blocked")}
     FROM (SELECT 1) one LEFT JOIN f ON true`,
  );
  const head = read.rows[0];
  logWrittenAudits(deps.logger, meta, head?.audits);
  const row = head?.id === null || head?.id === undefined ? undefined : (head as ReadRow & FactorRow);
  // Ensure the factor is one of the user's OTP factors, still waiting for confirmation.
  if (row === undefined) throw notFound("factor");
  if (row.state === "active") throw failedPrecondition("the factor is already confirmed", "ALREADY_CONFIRMED");
  if (row.pending_expires_at === null || row.pending_expires_at.getTime() <= now.getTime()) {
    throw failedPrecondition("the enrolment has expired; enrol again", "ENROLMENT_EXPIRED");
  }
  // Ensure the tenant still offers the kind (its policy may have changed since Enrol).
  if (row.disabled_by_policy === true) throw policyRefusalError("disabled", row.kind);
  // Ensure the user is not waiting out failures; the code is not evaluated if so.
  if (head?.h_admitted !== true) throw throttleRefusal(head?.h_blocked_until, now);

  const decision = checkOtpFactor(deps.keyring, row, input.code, now, CONFIRM_WINDOW);
  const w = new Statement();
  w.define("tenant", meta.caller.tenant, "text");
  w.define("user", input.userId, "text");
  w.define("now", now, "timestamptz");
  const failed = (reason: FailureReason, when?: string): AuditRowPart => ({
    kind: "factor.confirm_failed",
    userId: input.userId,
    factorId: row.id,
    details: { provider: row.kind, reason },
    ...(when === undefined ? {} : { when }),
  });

  if (decision.kind !== "accept") {
    const reason: FailureReason = decision.kind;
    if (decision.kind === "resync_needed") {
      w.with("remembered", rememberResyncCte(w, w.ref("user"), [{ factorId: row.id, step: decision.step, offset: decision.offset }]));
    }
    w.with("audit", auditInsertCte(w, meta, now, [failed(reason)]));
    const r = await w.run<{ audits: WrittenAuditRow[] | null }>(deps.db, `SELECT ${writtenAuditRows("audit")}`);
    logWrittenAudits(deps.logger, meta, r.rows[0]?.audits);
    return { confirmed: false, factor: factorFromRow(row), reason };
  }

  const activated = "EXISTS (SELECT 1 FROM activated)";
  const details: AuditDetails =
    row.kind === "hotp"
      ? { provider: "hotp", counter: decision.step + 1, resynced: decision.resyncedFrom !== undefined }
      : { provider: "totp", drift_seconds: otpDriftSeconds(row, decision.driftSteps), resynced: decision.resyncedFrom !== undefined };
  w.with("activated", activateCte(w, w.ref("user"), { factorId: row.id, ...decision }));
  w.with("reset", resetCte(w, w.ref("user"), activated));
  w.with(
    "audit",
    auditInsertCte(w, meta, now, [
      { kind: "factor.confirmed", userId: input.userId, factorId: row.id, details, when: activated },
      // The step was used meanwhile: a racing confirmation with the same code won.
      failed("replayed", `NOT ${activated}`),
    ]),
  );
  const r = await w.run<Partial<FactorRow> & { audits: WrittenAuditRow[] | null }>(
    deps.db,
    `SELECT activated.*, ${writtenAuditRows("audit")} FROM (SELECT 1) one LEFT JOIN activated ON true`,
  );
  const out = r.rows[0];
  logWrittenAudits(deps.logger, meta, out?.audits);
  if (out?.id === null || out?.id === undefined) {
    const current = await findFactor(deps.db, meta.caller.tenant, input.userId, row.id);
    return { confirmed: false, factor: factorFromRow(current ?? row), reason: "replayed" };
  }
  return { confirmed: true, factor: factorFromRow(out as FactorRow) };
}
