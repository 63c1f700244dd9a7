import type { AppDeps } from "../../app.js";
import { factorSecretAad } from "../../crypto/keyring.js";
import { recordAudit } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition, invalidArgument } from "../errors.js";
import { MAX_FACTORS_PER_USER, PENDING_TTL_MS, type Factor } from "../factors/factor.js";
import { factorFromRow } from "../factors/factor-row.js";
import { insertPendingOtpFactor } from "../factors/factor-store.js";
import { purgeLapsed } from "../factors/purge-lapsed.js";
import { buildOtpEnrolment, type OtpEnrolment } from "../otp/otp-enrolment.js";
import { GENERATED_SECRET_BYTES, resolveTotpSpec, type TotpSpecInput } from "./totp-spec.js";

/** The user, the label they will recognise, and the requested spec. */
export interface EnrolTotpInput {
  userId: string;
  label: string;
  spec: TotpSpecInput;
}

/**
 * Starts a TOTP enrolment: a PENDING factor for 10 minutes, its secret sealed
 * under the keyring and bound to (tenant, user, factor), and the secret,
 * otpauth URI and QR code to show the user once.
 */
export async function enrolTotp(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random" | "config" | "logger">,
  meta: RequestMeta,
  input: EnrolTotpInput,
): Promise<{ factor: Factor; enrolment: OtpEnrolment }> {
  // Ensure the spec is one the chosen token can hold.
  const resolved = resolveTotpSpec(input.spec);
  if (!resolved.ok) {
    throw invalidArgument(resolved.violations.map((v) => ({ ...v, field: `spec.totp.${v.field}` })));
  }
  const spec = resolved.spec;
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  await purgeLapsed(deps, meta, input.userId, now);

  const id = deps.random.uuid();
  const secret = spec.importedSecret ?? deps.random.bytes(GENERATED_SECRET_BYTES);
  const enrolment = await buildOtpEnrolment(
    { kind: "totp", periodSeconds: spec.periodSeconds },
    {
      secret,
      issuer: spec.issuer !== "" ? spec.issuer : deps.config.issuer,
      accountName: spec.accountName !== "" ? spec.accountName : input.label,
      algorithm: spec.algorithm,
      digits: spec.digits,
    },
  );
  const row = await insertPendingOtpFactor(
    deps.db,
    {
      tenant,
      userId: input.userId,
      id,
      kind: "totp",
      label: input.label,
      createdAt: now,
      pendingExpiresAt: new Date(now.getTime() + PENDING_TTL_MS),
      algorithm: spec.algorithm,
      digits: spec.digits,
      periodSeconds: spec.periodSeconds,
      tokenProfile: spec.tokenProfile,
      secretSealed: deps.keyring.seal(secret, factorSecretAad(tenant, input.userId, id)),
    },
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
      factor_kind: "totp",
      algorithm: spec.algorithm,
      digits: spec.digits,
      period_seconds: spec.periodSeconds,
      token_profile: spec.tokenProfile,
      imported_secret: spec.importedSecret !== undefined,
    },
  });
  return { factor: factorFromRow(row), enrolment };
}
