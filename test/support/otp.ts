import type { AppDeps } from "../../src/app.js";
import type { RequestMeta } from "../../src/domain/caller.js";
import type { Factor } from "../../src/domain/factors/index.js";
import { enrolOtp, resolveOtpSpec, type OtpEnrolment, type OtpSpecInput } from "../../src/domain/otp/index.js";

/** An OTP spec as a test writes it: the request's fields, zero values meaning the defaults. */
export type TestOtpSpec = Omit<OtpSpecInput, "kind" | "counter" | "periodSeconds"> & { periodSeconds?: number; counter?: bigint };

/**
 * Enrols a TOTP or HOTP factor through the domain as the RPC layer does:
 * the spec resolved by resolveOtpSpec (the one rule set), then enrolOtp.
 */
export async function enrolOtpFactor(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random" | "config" | "logger">,
  meta: RequestMeta,
  kind: "totp" | "hotp",
  input: { userId: string; label: string; spec: TestOtpSpec },
): Promise<{ factor: Factor; enrolment: OtpEnrolment }> {
  const resolved = resolveOtpSpec({ periodSeconds: 0, counter: 0n, ...input.spec, kind });
  if (!resolved.ok) throw new Error(`bad test spec: ${resolved.violations.map((v) => v.field).join(", ")}`);
  return enrolOtp(deps, meta, { userId: input.userId, label: input.label, spec: resolved.spec });
}

/** enrolOtpFactor for TOTP. */
export function enrolTotp(deps: Parameters<typeof enrolOtpFactor>[0], meta: RequestMeta, input: { userId: string; label: string; spec: TestOtpSpec }) {
  return enrolOtpFactor(deps, meta, "totp", input);
}

/** enrolOtpFactor for HOTP. */
export function enrolHotp(deps: Parameters<typeof enrolOtpFactor>[0], meta: RequestMeta, input: { userId: string; label: string; spec: TestOtpSpec }) {
  return enrolOtpFactor(deps, meta, "hotp", input);
}
