import type { AppDeps } from "../../app.js";
import { factorSecretAad } from "../../crypto/keyring.js";
import { recordAudit } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition, notFound } from "../errors.js";
import { driftSeconds, type Factor } from "../factors/factor.js";
import { factorFromRow } from "../factors/factor-row.js";
import { findFactor } from "../factors/factor-store.js";
import type { FailureReason } from "../factors/failure-reason.js";
import { admitOrAudit, throttleSuccess } from "../throttle/index.js";
import { findResyncPair, type PairFound } from "./find-pair.js";
import { burnResyncPair } from "./resync-store.js";

/** The factor and two codes the token showed one after the other (validated upstream: 6 or 8 digits). */
export interface ResyncFactorInput {
  userId: string;
  factorId: string;
  code1: string;
  code2: string;
}

/** Re-aligned, or not with the reason (an ordinary outcome, like a wrong code at Verify). */
export type ResyncFactorResult = { resynced: true; factor: Factor } | { resynced: false; factor: Factor; reason: FailureReason };

/**
 * ResyncFactor (DESIGN "TOTP / HOTP"): two consecutive codes re-align a
 * hardware token that drifted too far for the automatic resync. HOTP: the
 * counter moves to just after code2 (searching up to 1000 ahead). TOTP: the
 * clock offset is re-learned (searching ±1 day) and both steps are burnt.
 * Throttled and audited like a login; the codes can never be used again.
 */
export async function resyncFactor(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "logger">,
  meta: RequestMeta,
  input: ResyncFactorInput,
): Promise<ResyncFactorResult> {
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  const row = await findFactor(deps.db, tenant, input.userId, input.factorId);
  // Ensure the factor is one of the user's OTP factors, and confirmed.
  if (row === undefined || (row.kind !== "totp" && row.kind !== "hotp")) throw notFound("factor");
  if (row.state !== "active") throw failedPrecondition("the factor is pending confirmation", "FACTOR_PENDING");
  if (row.secret_sealed === null || row.algorithm === null) throw new Error(`OTP factor ${row.id} has no secret`);

  // Ensure the user is not waiting out failures; the codes are not evaluated if so.
  await admitOrAudit(deps, meta, input.userId, now);

  const key = deps.keyring.open(row.secret_sealed, factorSecretAad(tenant, input.userId, row.id));
  let pair: PairFound | undefined;
  try {
    pair = findResyncPair(row, key, input.code1, input.code2, now);
  } finally {
    key.fill(0);
  }
  let reason: FailureReason = "wrong_code";
  if (pair !== undefined) {
    const updated = await burnResyncPair(deps.db, {
      tenant,
      userId: input.userId,
      id: row.id,
      first: pair.first,
      second: pair.first + 1,
      driftSteps: pair.driftSteps,
    });
    if (updated !== undefined) {
      const factor = factorFromRow(updated);
      await throttleSuccess(deps, tenant, input.userId);
      await recordAudit(deps, deps.db, meta, now, {
        kind: "factor.resynced",
        userId: input.userId,
        factorId: row.id,
        details: {
          factor_kind: row.kind,
          ...(row.kind === "hotp" ? { counter: pair.first + 2 } : { drift_seconds: driftSeconds(factor) }),
        },
      });
      return { resynced: true, factor };
    }
    reason = "replayed";
  }
  await recordAudit(deps, deps.db, meta, now, {
    kind: "factor.resync_failed",
    userId: input.userId,
    factorId: row.id,
    details: { factor_kind: row.kind, reason },
  });
  return { resynced: false, factor: factorFromRow(row), reason };
}
