import { failedPrecondition } from "../errors.js";
import {
  factorFromRow,
  isUuid,
  type Decision,
  type FactorRow,
  type FailureReason,
  type LoginProof,
  type LoginProvider,
  type ProviderOption,
} from "../factors/index.js";
import { checkDummyTotp, checkOtpFactor, otpAmr, otpDriftSeconds, type OtpDecision } from "./kinds.js";
import { burnStepCte, otpCandidatesSql, rememberResyncCte, type ResyncCandidate } from "./store.js";

type OtpProof = Extract<LoginProof, { kind: "otp" }>;

/** Which refusal tells the user more, when TOTP and HOTP both refused a code. */
function rank(r: FailureReason): number {
  return r === "replayed" ? 2 : r === "resync_needed" ? 1 : 0;
}

interface Checked {
  row: FactorRow;
  decision: OtpDecision;
}

/** The refusal one kind's checks add up to, and the factor it names. */
function refusalOf(checked: readonly Checked[], named: string | undefined): { reason: FailureReason; factorId: string } {
  const replayed = checked.find((c) => c.decision.kind === "replayed");
  if (replayed !== undefined) return { reason: "replayed", factorId: replayed.row.id };
  const resync = checked.find((c) => c.decision.kind === "resync_needed");
  if (resync !== undefined) return { reason: "resync_needed", factorId: resync.row.id };
  return { reason: "wrong_code", factorId: named ?? "" };
}

/**
 * TOTP and HOTP at Challenge and Verify: one provider, since an OtpProof
 * carries either kind of code and the user's factors decide which.
 *
 * The work rule (docs/design.md "Constant work": the work must not depend on
 * whether a user or factor exists, or on where or whether a code matches):
 * - the TOTP window always runs, once per candidate TOTP factor, or once on
 *   a dummy key when there is none (unknown user, no factors, HOTP only, a
 *   named HOTP factor, an unknown factor);
 * - the HOTP window runs on the user's real HOTP factors only, never on a
 *   dummy key, and on all of them whatever TOTP found. So an unknown user, a
 *   user without factors and a TOTP-only user do exactly the same work; the
 *   extra work of a user with HOTP factors reveals only that they have one,
 *   which Challenge's provider list already tells the caller.
 *
 * Every candidate is checked in full before deciding (no early exit). A
 * named factor is checked alone (a pending one is FACTOR_PENDING, an unknown
 * one UNKNOWN_FACTOR after the dummy window). Otherwise a TOTP acceptance
 * wins, then an HOTP one; when both refuse, the more telling refusal is
 * reported and every out-of-window match is remembered for resync.
 */
export const otpLoginProvider: LoginProvider<OtpProof> = {
  proof: "otp",

  offer(_deps, view) {
    const options: ProviderOption[] = [];
    for (const kind of ["totp", "hotp"] as const) {
      const rows = view.factors.filter((f) => f.kind === kind);
      if (rows.length > 0) options.push({ provider: kind, factors: rows.map(factorFromRow), turnsOnSecondFactor: true });
    }
    return Promise.resolve(options);
  },

  candidatesSql(s, userSql, proof) {
    // A name that is no UUID names nothing; the candidates are then none.
    const named = proof.factorId === undefined ? undefined : isUuid(proof.factorId) ? proof.factorId : "00000000-0000-0000-0000-000000000000";
    return otpCandidatesSql(s, userSql, named);
  },

  check(deps, attempt, proof, rows) {
    const window = deps.config.totpWindow;
    const named = proof.factorId;
    // Ensure a named factor is confirmed.
    if (named !== undefined && rows[0]?.state === "pending") {
      throw failedPrecondition("the factor is pending confirmation", "FACTOR_PENDING");
    }
    const totpRows = rows.filter((r) => r.kind === "totp");
    const hotpRows = rows.filter((r) => r.kind === "hotp");
    if (totpRows.length === 0) checkDummyTotp(proof.code, attempt.now, window);
    const check = (row: FactorRow): Checked => ({ row, decision: checkOtpFactor(deps.keyring, row, proof.code, attempt.now, window) });
    const totp = totpRows.map(check);
    const hotp = hotpRows.map(check);

    const accepted = totp.find((c) => c.decision.kind === "accept") ?? hotp.find((c) => c.decision.kind === "accept");
    if (accepted !== undefined && accepted.decision.kind === "accept") {
      const { row, decision } = accepted;
      const driftSeconds = otpDriftSeconds(row, decision.driftSteps);
      const resynced = decision.resyncedFrom !== undefined;
      const burn = { factorId: row.id, step: decision.step, driftSteps: decision.driftSteps, resyncedFrom: decision.resyncedFrom };
      const result: Decision = {
        verified: true,
        provider: row.kind === "hotp" ? "hotp" : "totp",
        factorId: row.id,
        amr: otpAmr(row.token_profile),
        driftSeconds,
        resynced,
        details: { drift_seconds: driftSeconds, resynced },
        burn: { cte: (s, when) => burnStepCte(s, s.ref("user"), burn, when), lostReason: "replayed" },
      };
      return Promise.resolve(result);
    }

    if (named !== undefined && rows.length === 0) {
      return Promise.resolve<Decision>({ verified: false, provider: "totp", reason: "unknown_factor", factorId: named });
    }
    const totpRefusal = { provider: "totp" as const, ...refusalOf(totp, named) };
    const hotpRefusal = { provider: "hotp" as const, ...refusalOf(hotp, named) };
    // HOTP's refusal when it tells more, or when the user (or the named factor) has no TOTP to speak for.
    const hotpTells = rank(hotpRefusal.reason) > rank(totpRefusal.reason) || (totp.length === 0 && rank(hotpRefusal.reason) === rank(totpRefusal.reason));
    const refusal = hotp.length > 0 && hotpTells ? hotpRefusal : totpRefusal;
    const resyncs: ResyncCandidate[] = [...totp, ...hotp].flatMap((c) =>
      c.decision.kind === "resync_needed" ? [{ factorId: c.row.id, step: c.decision.step, offset: c.decision.offset }] : [],
    );
    const result: Decision = {
      verified: false,
      ...refusal,
      ...(resyncs.length === 0 ? {} : { notes: [(s, when) => rememberResyncCte(s, s.ref("user"), resyncs, when)] }),
    };
    return Promise.resolve(result);
  },
};
