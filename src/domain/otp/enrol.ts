import type { AppDeps } from "../../app.js";
import { factorSecretAad } from "../../crypto/keyring.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition } from "../errors.js";
import { policyAllowsSql, policyGateCte, policyRefusalError, type PolicyRefusal } from "../policy/index.js";
import { factorFromRow, insertFactorCte, MAX_FACTORS_PER_USER, PENDING_TTL_MS, purgeLapsedCte, type Factor, type FactorRow } from "../factors/index.js";
import { buildOtpEnrolment, type OtpEnrolment } from "./enrolment.js";
import { GENERATED_SECRET_BYTES, type OtpSpec } from "./spec.js";

/** The user, the label they will recognise, and the resolved spec (resolveOtpSpec). */
export interface EnrolOtpInput {
  userId: string;
  label: string;
  spec: OtpSpec;
}

/**
 * Starts a TOTP or HOTP enrolment in one statement: the user's lapsed
 * enrolments purged, a PENDING factor for 10 minutes inserted within the
 * per-user limit, its secret (imported, else 20 fresh random bytes) sealed
 * under the keyring and bound to (tenant, user, factor), and the audit rows.
 * An HOTP factor starts with last_step = counter − 1, so the next expected
 * counter is the starting one. The tenant's provider policy is read in the
 * same statement and gates the purge and the insert: a kind turned off is
 * FAILED_PRECONDITION PROVIDER_DISABLED, a TOTP spec outside its limits
 * PROVIDER_POLICY_LIMIT naming the field (docs/design.md "Provider policy").
 * Returns the secret, the otpauth URI and its QR code, to show the user once.
 */
export async function enrolOtp(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random" | "config" | "logger">,
  meta: RequestMeta,
  input: EnrolOtpInput,
): Promise<{ factor: Factor; enrolment: OtpEnrolment }> {
  const { spec } = input;
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  const id = deps.random.uuid();
  const secret = spec.importedSecret ?? deps.random.bytes(GENERATED_SECRET_BYTES);
  const enrolment = await buildOtpEnrolment(
    spec.kind === "totp" ? { kind: "totp", periodSeconds: spec.periodSeconds } : { kind: "hotp", counter: spec.counter },
    {
      secret,
      issuer: spec.issuer !== "" ? spec.issuer : deps.config.issuer,
      accountName: spec.accountName !== "" ? spec.accountName : input.label,
      algorithm: spec.algorithm,
      digits: spec.digits,
    },
  );

  const s = new Statement();
  s.define("tenant", tenant, "text");
  s.define("user", input.userId, "text");
  s.define("now", now, "timestamptz");
  s.with(
    "gate",
    policyGateCte(
      s,
      spec.kind === "totp" ? { kind: "totp", algorithm: spec.algorithm, digits: spec.digits, tokenProfile: spec.tokenProfile } : { kind: "hotp" },
    ),
  );
  const allowed = policyAllowsSql("gate");
  s.with("purged", purgeLapsedCte(s, allowed));
  s.with(
    "inserted",
    insertFactorCte(
      s,
      {
        id,
        kind: spec.kind,
        label: input.label,
        state: "pending",
        pendingExpiresAt: new Date(now.getTime() + PENDING_TTL_MS),
        tokenProfile: spec.tokenProfile,
        algorithm: spec.algorithm,
        digits: spec.digits,
        periodSeconds: spec.kind === "totp" ? spec.periodSeconds : null,
        secretSealed: deps.keyring.seal(secret, factorSecretAad(tenant, input.userId, id)),
        lastStep: spec.kind === "hotp" ? spec.counter - 1 : -1,
      },
      MAX_FACTORS_PER_USER,
      allowed,
    ),
  );
  s.with(
    "audit",
    auditInsertCte(s, meta, now, [
      { kind: "factor.expired", userId: input.userId, factorSql: "p.id", from: "purged p" },
      {
        kind: "factor.enrolled",
        userId: input.userId,
        factorId: id,
        details: {
          factor_kind: spec.kind,
          algorithm: spec.algorithm,
          digits: spec.digits,
          ...(spec.kind === "totp" ? { period_seconds: spec.periodSeconds } : { counter: spec.counter }),
          token_profile: spec.tokenProfile,
          imported_secret: spec.importedSecret !== undefined,
        },
        when: "EXISTS (SELECT 1 FROM inserted)",
      },
    ]),
  );
  const r = await s.run<Partial<FactorRow> & { h_refusal: PolicyRefusal | null; audits: WrittenAuditRow[] | null }>(
    deps.db,
    `SELECT inserted.*, (SELECT refusal FROM gate) AS h_refusal, ${writtenAuditRows("audit")} FROM (SELECT 1) one LEFT JOIN inserted ON true`,
  );
  const row = r.rows[0];
  logWrittenAudits(deps.logger, meta, row?.audits);
  // Ensure the tenant offers this kind, and the spec is within its limits.
  if (row?.h_refusal !== null && row?.h_refusal !== undefined) throw policyRefusalError(row.h_refusal, spec.kind, `spec.${spec.kind}`);
  if (row?.id === null || row?.id === undefined) {
    throw failedPrecondition(`a user may hold at most ${MAX_FACTORS_PER_USER} factors`, "TOO_MANY_FACTORS");
  }
  return { factor: factorFromRow(row as FactorRow), enrolment };
}
