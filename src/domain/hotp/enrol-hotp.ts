import type { AppDeps } from "../../app.js";
import type { RequestMeta } from "../caller.js";
import { invalidArgument } from "../errors.js";
import type { Factor } from "../factors/factor.js";
import { enrolOtpFactor } from "../otp/enrol-otp-factor.js";
import type { OtpEnrolment } from "../otp/otp-enrolment.js";
import { resolveHotpSpec, type HotpSpecInput } from "./hotp-spec.js";

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
  return enrolOtpFactor(deps, meta, input, spec, { kind: "hotp", counter: spec.counter });
}
