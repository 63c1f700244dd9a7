import type { AuthContext, ChallengeResponse, ProviderOption, VerifyResponse } from "../../src/gen/twofold/v1/authentication_pb.js";
import { FailureReason, Provider, Purpose } from "../../src/gen/twofold/v1/types_pb.js";
import type { ScenarioContext } from "./types.js";

/** `FailureReason.REPLAYED` → `REPLAYED`, as a report shows it. */
export function reasonName(reason: FailureReason): string {
  return FailureReason[reason] ?? String(reason);
}

/** `Provider.TOTP` → `TOTP`. */
export function providerName(provider: Provider): string {
  return Provider[provider] ?? String(provider);
}

/**
 * Opens a second-factor login for the scenario's user (what a platform does
 * after the password) and requires the service to offer `provider`.
 */
export async function challengeOffering(ctx: ScenarioContext, provider: Provider): Promise<{ challenge: ChallengeResponse; option: ProviderOption }> {
  const challenge = await ctx.clients.auth.challenge({ userId: ctx.userId, purpose: Purpose.SECOND_FACTOR });
  ctx.check(challenge.transactionId !== "", "Challenge returned no transaction id");
  ctx.check(challenge.secondFactorRequired, "Challenge did not require a second factor for a user with an active factor");
  const option = challenge.providers.find((p) => p.provider === provider);
  ctx.check(
    option !== undefined,
    `Challenge did not offer ${providerName(provider)} (offered: ${challenge.providers.map((p) => providerName(p.provider)).join(", ") || "nothing"})`,
  );
  return { challenge, option };
}

/** A fresh Challenge, then Verify with one OTP code (TOTP or HOTP). */
export async function loginWithOtp(ctx: ScenarioContext, provider: Provider, code: string, factorId = ""): Promise<VerifyResponse> {
  const { challenge } = await challengeOffering(ctx, provider);
  return ctx.clients.auth.verify({ transactionId: challenge.transactionId, proof: { case: "otp", value: { code, factorId } } });
}

/** Requires a successful verification and returns its context. */
export function expectVerified(ctx: ScenarioContext, res: VerifyResponse, what: string): AuthContext {
  ctx.check(res.verified, `${what} was refused (reason ${reasonName(res.reason)}), expected it to log in`);
  ctx.check(res.context !== undefined, `${what} was verified without an AuthContext`);
  ctx.check(res.context.userId === ctx.userId, `${what} was verified for another user than the scenario's`);
  return res.context;
}

/** Requires a refusal with exactly `reason`. */
export function expectRefused(ctx: ScenarioContext, res: { verified: boolean; reason: FailureReason }, reason: FailureReason, what: string): void {
  ctx.check(!res.verified, `${what} was accepted, expected a refusal with reason ${reasonName(reason)}`);
  ctx.check(res.reason === reason, `${what} was refused with reason ${reasonName(res.reason)}, expected ${reasonName(reason)}`);
}
