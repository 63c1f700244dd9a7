import type { AppDeps } from "../../app.js";
import { findConsecutivePair, HOTP_RESYNC_RANGE, totpStep, type OtpDigits } from "../../core/index.js";
import { factorSecretAad } from "../../crypto/keyring.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition, notFound } from "../errors.js";
import { factorFromRow, isUuid, otpStateOf, type Factor, type FactorRow, type FailureReason } from "../factors/index.js";
import { policyRefusalError } from "../policy/index.js";
import { admitCte, blockedAuditRow, blockedUntilSql, resetCte, throttleRefusal } from "../throttle/index.js";
import { otpDriftSeconds } from "./kinds.js";
import { burnPairCte, otpFactorSql } from "./store.js";

/** The factor and two codes the token showed one after the other (validated upstream: 6 or 8 digits). */
export interface ResyncFactorInput {
  userId: string;
  factorId: string;
  code1: string;
  code2: string;
}

/** Re-aligned, or not with the reason (an ordinary outcome, like a wrong code at Verify). */
export type ResyncFactorResult = { resynced: true; factor: Factor } | { resynced: false; factor: Factor; reason: FailureReason };

/** TOTP steps either side of the learned drift that ResyncFactor searches: one day's worth. */
export function totpResyncRange(periodSeconds: number): number {
  return Math.ceil(86_400 / periodSeconds);
}

/** Where a pair of consecutive codes sits: code1's counter or step, and the drift it teaches. */
interface PairFound {
  first: number;
  driftSteps: number;
}

/**
 * Searches a factor's key for two consecutive codes, with constant work for
 * the factor's kind and period: HOTP from the next expected counter up to
 * HOTP_RESYNC_RANGE ahead (RFC 4226 §7.4), TOTP within ±1 day of the learned
 * drift. Among several matches (chance collisions) the one nearest the
 * expected counter or the learned drift wins; counters already used never do.
 */
export function findResyncPair(row: FactorRow, key: Uint8Array, code1: string, code2: string, now: Date): PairFound | undefined {
  const state = otpStateOf(row);
  const algorithm = row.algorithm ?? "SHA1";
  const digits: OtpDigits = row.digits === 8 ? 8 : 6;
  if (row.kind === "hotp") {
    const expected = state.lastStep + 1;
    const found = findConsecutivePair({ key, algorithm, digits, code1, code2, first: expected, count: HOTP_RESYNC_RANGE + 1 });
    const first = found[0];
    return first === undefined ? undefined : { first, driftSteps: 0 };
  }
  const period = row.period_seconds === 60 ? 60 : 30;
  const current = totpStep(Math.floor(now.getTime() / 1000), period);
  const center = current + row.drift_steps;
  const range = totpResyncRange(period);
  const found = findConsecutivePair({ key, algorithm, digits, code1, code2, first: center - range, count: 2 * range + 1 });
  let best: number | undefined;
  for (const s of found) {
    if (s <= state.lastStep) continue;
    if (best === undefined || Math.abs(s - center) < Math.abs(best - center)) best = s;
  }
  // code2 is the code the token shows now: its step minus the server's is the token's clock offset.
  return best === undefined ? undefined : { first: best, driftSteps: best + 1 - current };
}

type ReadRow = Partial<FactorRow> & { h_admitted: boolean; h_blocked_until: Date | null; audits: WrittenAuditRow[] | null };

/**
 * ResyncFactor (docs/design.md "TOTP and HOTP"): two consecutive codes
 * re-align a hardware token that drifted too far for the automatic resync.
 * HOTP: the counter moves to just after code2 (searching up to 1000 ahead).
 * TOTP: the clock offset is re-learned (searching ±1 day) and both steps are
 * burnt. Throttled and audited like a login, in two statements: the read
 * (factor and throttle admission) and the write (burn, reset and audit, or the
 * refusal's audit). The codes can never be used again.
 */
export async function resyncFactor(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "logger">,
  meta: RequestMeta,
  input: ResyncFactorInput,
): Promise<ResyncFactorResult> {
  if (!isUuid(input.factorId)) throw notFound("factor");
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  const s = new Statement();
  s.define("tenant", tenant, "text");
  s.define("user", input.userId, "text");
  s.define("now", now, "timestamptz");
  s.with("f", otpFactorSql(s, input.factorId));
  // Only an active factor of a kind the tenant still offers reaches the throttle (admitted, or audited as waiting).
  const resyncable = "state = 'active' AND NOT disabled_by_policy";
  s.with("admit", admitCte(s, `SELECT user_id FROM f WHERE ${resyncable}`));
  const waiting = `EXISTS (SELECT 1 FROM f WHERE ${resyncable}) AND NOT EXISTS (SELECT 1 FROM admit)`;
  s.with("blocked", auditInsertCte(s, meta, now, [blockedAuditRow(s, s.ref("user"), waiting)]));
  const read = await s.run<ReadRow>(
    deps.db,
    `SELECT f.*, EXISTS (SELECT 1 FROM admit) AS h_admitted, ${blockedUntilSql(s, s.ref("user"))} AS h_blocked_until,
       ${writtenAuditRows("blocked")}
     FROM (SELECT 1) one LEFT JOIN f ON true`,
  );
  const head = read.rows[0];
  logWrittenAudits(deps.logger, meta, head?.audits);
  const row = head?.id === null || head?.id === undefined ? undefined : (head as ReadRow & FactorRow);
  // Ensure the factor is one of the user's OTP factors, and confirmed.
  if (row === undefined) throw notFound("factor");
  if (row.state !== "active") throw failedPrecondition("the factor is pending confirmation", "FACTOR_PENDING");
  if (row.secret_sealed === null) throw new Error(`OTP factor ${row.id} has no secret`);
  // Ensure the tenant offers the kind: a factor of a kind turned off stays stored but unusable.
  if (row.disabled_by_policy === true) throw policyRefusalError("disabled", row.kind);
  // Ensure the user is not waiting out failures; the codes are not evaluated if so.
  if (head?.h_admitted !== true) throw throttleRefusal(head?.h_blocked_until, now);

  const key = deps.keyring.open(row.secret_sealed, factorSecretAad(tenant, input.userId, row.id));
  let pair: PairFound | undefined;
  try {
    pair = findResyncPair(row, key, input.code1, input.code2, now);
  } finally {
    key.fill(0);
  }

  const w = new Statement();
  w.define("tenant", tenant, "text");
  w.define("user", input.userId, "text");
  w.define("now", now, "timestamptz");
  const failed = (reason: FailureReason, when?: string) => ({
    kind: "factor.resync_failed" as const,
    userId: input.userId,
    factorId: row.id,
    details: { factor_kind: row.kind, reason },
    ...(when === undefined ? {} : { when }),
  });
  if (pair === undefined) {
    w.with("audit", auditInsertCte(w, meta, now, [failed("wrong_code")]));
    const r = await w.run<{ audits: WrittenAuditRow[] | null }>(deps.db, `SELECT ${writtenAuditRows("audit")}`);
    logWrittenAudits(deps.logger, meta, r.rows[0]?.audits);
    return { resynced: false, factor: factorFromRow(row), reason: "wrong_code" };
  }
  const burnt = "EXISTS (SELECT 1 FROM burnt)";
  w.with("burnt", burnPairCte(w, row.id, pair.first, pair.driftSteps));
  w.with("reset", resetCte(w, w.ref("user"), burnt));
  w.with(
    "audit",
    auditInsertCte(w, meta, now, [
      {
        kind: "factor.resynced",
        userId: input.userId,
        factorId: row.id,
        details: {
          factor_kind: row.kind,
          ...(row.kind === "hotp" ? { counter: pair.first + 2 } : { drift_seconds: otpDriftSeconds(row, pair.driftSteps) }),
        },
        when: burnt,
      },
      failed("replayed", `NOT ${burnt}`),
    ]),
  );
  const r = await w.run<Partial<FactorRow> & { audits: WrittenAuditRow[] | null }>(
    deps.db,
    `SELECT burnt.*, ${writtenAuditRows("audit")} FROM (SELECT 1) one LEFT JOIN burnt ON true`,
  );
  const out = r.rows[0];
  logWrittenAudits(deps.logger, meta, out?.audits);
  if (out?.id === null || out?.id === undefined) return { resynced: false, factor: factorFromRow(row), reason: "replayed" };
  return { resynced: true, factor: factorFromRow(out as FactorRow) };
}
