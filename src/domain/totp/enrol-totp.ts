import type { AppDeps } from "../../app.js";
import type { RequestMeta } from "../caller.js";
import { invalidArgument } from "../errors.js";
import type { Factor } from "../factors/factor.js";
import { enrolOtpFactor } from "../otp/enrol-otp-factor.js";
import type { OtpEnrolment } from "../otp/otp-enrolment.js";
import { resolveTotpSpec, type TotpSpecInput } from "./totp-spec.js";

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
  return enrolOtpFactor(deps, meta, input, spec, { kind: "totp", periodSeconds: spec.periodSeconds });
}
