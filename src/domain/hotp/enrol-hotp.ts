import type { AppDeps } from "../../app.js";
import { factorSecretAad } from "../../crypto/keyring.js";
import { recordAudit } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition, invalidArgument } from "../errors.js";
import { MAX_FACTORS_PER_USER, PENDING_TTL_MS, type Factor } from "../factors/factor.js";
import { factorFromRow } from "../factors/factor-row.js";
import { purgeLapsed } from "../factors/purge-lapsed.js";
import { buildOtpEnrolment, type OtpEnrolment } from "../otp/otp-enrolment.js";
import { GENERATED_SECRET_BYTES } from "../totp/totp-spec.js";
import { resolveHotpSpec, type HotpSpecInput } from "./hotp-spec.js";
import { insertOtpFactorAt } from "./hotp-store.js";

/** The user, the label they will recognise, and the requested spec. */
export interface EnrolHotpInput {
  userId: string;
  label: string;
  spec: HotpSpecInput;
}

/**
 * Starts an HOTP enrolment, as enrolTotp does for TOTP: a PENDING factor for
 * 10 minutes whose next expected counter is the spec's starting counter, the
 * secret sealed and bound to (tenant, user, factor), and the secret, the
 * `otpauth://hotp` URI and its QR code to show once.
 */
export async function enrolHotp(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random" | "config" | "logger">,
  meta: RequestMeta,
  input: EnrolHotpInput,
): Promise<{ factor: Factor; enrolment: OtpEnrolment }> {
  // Ensure the spec is one the chosen token can hold.
  const resolved = resolveHotpSpec(input.spec);
  if (!resolved.ok) {
    throw invalidArgument(resolved.violations.map((v) => ({ ...v, field: `spec.hotp.${v.field}` })));
  }
  const spec = resolved.spec;
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  await purgeLapsed(deps, meta, input.userId, now);

  const id = deps.random.uuid();
  const secret = spec.importedSecret ?? deps.random.bytes(GENERATED_SECRET_BYTES);
  const enrolment = await buildOtpEnrolment(
    { kind: "hotp", counter: spec.counter },
    {
      secret,
      issuer: spec.issuer !== "" ? spec.issuer : deps.config.issuer,
      accountName: spec.accountName !== "" ? spec.accountName : input.label,
      algorithm: spec.algorithm,
      digits: spec.digits,
    },
  );
  const row = await insertOtpFactorAt(
    deps.db,
    {
      tenant,
      userId: input.userId,
      id,
      kind: "hotp",
      label: input.label,
      createdAt: now,
      pendingExpiresAt: new Date(now.getTime() + PENDING_TTL_MS),
      algorithm: spec.algorithm,
      digits: spec.digits,
      periodSeconds: null,
      tokenProfile: spec.tokenProfile,
      secretSealed: deps.keyring.seal(secret, factorSecretAad(tenant, input.userId, id)),
      state: "pending",
      lastStep: spec.counter - 1,
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
      factor_kind: "hotp",
      algorithm: spec.algorithm,
      digits: spec.digits,
      counter: spec.counter,
      token_profile: spec.tokenProfile,
      imported_secret: spec.importedSecret !== undefined,
    },
  });
  return { factor: factorFromRow(row), enrolment };
}
