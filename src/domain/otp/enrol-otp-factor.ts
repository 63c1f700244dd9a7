import type { AppDeps } from "../../app.js";
import type { OtpAlgorithm, OtpDigits } from "../../core/index.js";
import { factorSecretAad } from "../../crypto/keyring.js";
import { recordAudit } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition } from "../errors.js";
import { MAX_FACTORS_PER_USER, PENDING_TTL_MS, type Factor, type TokenProfile } from "../factors/factor.js";
import { factorFromRow } from "../factors/factor-row.js";
import { insertPendingOtpFactor, type NewOtpFactor } from "../factors/factor-store.js";
import { purgeLapsed } from "../factors/purge-lapsed.js";
import { insertOtpFactorAt } from "../hotp/hotp-store.js";
import { GENERATED_SECRET_BYTES } from "../totp/totp-spec.js";
import { buildOtpEnrolment, type OtpEnrolment, type OtpSchedule } from "./otp-enrolment.js";

/** The spec fields TOTP and HOTP share, every default applied and every rule checked. */
export interface ResolvedOtpSpec {
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  /** Undefined: the service generates the secret. */
  importedSecret: Uint8Array | undefined;
  issuer: string;
  accountName: string;
  tokenProfile: TokenProfile;
}

/**
 * The enrolment steps TOTP and HOTP share, kept in one place so both factors
 * purge, seal, count and audit the same way: a PENDING factor for 10 minutes,
 * its secret (imported, else freshly generated) sealed under the
 * keyring and bound to (tenant, user, factor), and the secret, otpauth URI and
 * QR code to show the user once. An HOTP factor starts with last_step =
 * counter − 1, so the next expected counter is the starting one.
 */
export async function enrolOtpFactor(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random" | "config" | "logger">,
  meta: RequestMeta,
  input: { userId: string; label: string },
  spec: ResolvedOtpSpec,
  schedule: OtpSchedule,
): Promise<{ factor: Factor; enrolment: OtpEnrolment }> {
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  await purgeLapsed(deps, meta, input.userId, now);

  const id = deps.random.uuid();
  const secret = spec.importedSecret ?? deps.random.bytes(GENERATED_SECRET_BYTES);
  const enrolment = await buildOtpEnrolment(schedule, {
    secret,
    issuer: spec.issuer !== "" ? spec.issuer : deps.config.issuer,
    accountName: spec.accountName !== "" ? spec.accountName : input.label,
    algorithm: spec.algorithm,
    digits: spec.digits,
  });
  const factor: NewOtpFactor = {
    tenant,
    userId: input.userId,
    id,
    kind: schedule.kind,
    label: input.label,
    createdAt: now,
    pendingExpiresAt: new Date(now.getTime() + PENDING_TTL_MS),
    algorithm: spec.algorithm,
    digits: spec.digits,
    periodSeconds: schedule.kind === "totp" ? schedule.periodSeconds : null,
    tokenProfile: spec.tokenProfile,
    secretSealed: deps.keyring.seal(secret, factorSecretAad(tenant, input.userId, id)),
  };
  const row =
    schedule.kind === "totp"
      ? await insertPendingOtpFactor(deps.db, factor, MAX_FACTORS_PER_USER)
      : await insertOtpFactorAt(
          deps.db,
          { ...factor, state: "pending", lastStep: schedule.counter - 1 },
          MAX_FACTORS_PER_USER,
        );
  if (row === undefined) {
    throw failedPrecondition(`a user may hold at most ${MAX_FACTORS_PER_USER} factors`, "TOO_MANY_FACTORS");
  }
  await recordAudit(deps, deps.db, meta, now, {
    kind: "factor.enrolled",
    userId: input.userId,
    factorId: id,
    details: {
      factor_kind: schedule.kind,
      algorithm: spec.algorithm,
      digits: spec.digits,
      ...(schedule.kind === "totp" ? { period_seconds: schedule.periodSeconds } : { counter: schedule.counter }),
      token_profile: spec.tokenProfile,
      imported_secret: spec.importedSecret !== undefined,
    },
  });
  return { factor: factorFromRow(row), enrolment };
}
