/**
 * One emulated login of each kind, as a platform would run it: Challenge
 * (the user is asked for a second factor), the device produces its proof
 * (the token's code, the key's assertion, a typed backup code), Verify. App
 * passwords are one VerifyAppPassword, as a mail server calls it. Every
 * answer is checked against what the proof should give.
 */
import type { ChallengeResponse, VerifyResponse } from "../../src/gen/twofold/v1/authentication_pb.js";
import { FailureReason, Provider, Purpose } from "../../src/gen/twofold/v1/types_pb.js";
import type { PublicKeyCredentialRequestOptionsJSON, WebAuthnClient } from "../../emulator/index.js";
import { statusOf, type LoadClients } from "./clients.js";
import type { Outcome, Recorder } from "./recorder.js";
import { APP_PASSWORD_SCOPE, currentStep, generateCodes, SLOT, type LoadUser } from "./users.js";
import { wrongAppPassword, wrongBackupCode, wrongHotpCode, wrongTotpCode } from "./wrong-codes.js";

/** What a login needs besides its user. */
export interface LoginContext {
  clients: LoadClients;
  browser: WebAuthnClient;
  recorder: Recorder;
}

/** Thrown inside a login to end it with an unexpected outcome. */
class Unexpected extends Error {}

/** Times one RPC into the recorder; a failed call ends the login as unexpected with its status. */
async function timed<T>(ctx: LoginContext, name: string, call: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    const res = await call();
    const end = performance.now();
    ctx.recorder.rpc(name, end - start, "OK", end);
    return res;
  } catch (err) {
    const end = performance.now();
    const status = statusOf(err);
    ctx.recorder.rpc(name, end - start, status, end);
    throw new Unexpected(`${name} ${status}`);
  }
}

const PROVIDER: Record<Exclude<LoadUser["kind"], "app-password">, Provider> = {
  totp: Provider.TOTP,
  hotp: Provider.HOTP,
  webauthn: Provider.WEBAUTHN,
  "backup-code": Provider.BACKUP_CODE,
};

async function challenge(ctx: LoginContext, user: LoadUser, provider: Provider): Promise<{ res: ChallengeResponse; options: string }> {
  const res = await timed(ctx, "Challenge", () => ctx.clients.auth.challenge({ userId: user.id, purpose: Purpose.SECOND_FACTOR }));
  const option = res.providers.find((p) => p.provider === provider);
  if (res.transactionId === "" || option === undefined) throw new Unexpected(`Challenge did not offer ${Provider[provider]}`);
  return { res, options: option.webauthnRequestOptionsJson };
}

function judge(user: LoadUser, wrong: boolean, res: VerifyResponse | { verified: boolean; reason: FailureReason }, refusal: FailureReason): Outcome {
  if (wrong) {
    if (res.verified) return { expected: false, why: "a wrong proof was verified" };
    if (res.reason !== refusal) return { expected: false, why: `refused with ${FailureReason[res.reason]}, expected ${FailureReason[refusal]}` };
    return { expected: true };
  }
  if (!res.verified) return { expected: false, why: `refused with ${FailureReason[res.reason]}` };
  if ("context" in res && res.context !== undefined && res.context.userId !== user.id) return { expected: false, why: "verified for another user" };
  return { expected: true };
}

async function secondFactor(ctx: LoginContext, user: Exclude<LoadUser, { kind: "app-password" }>, wrong: boolean): Promise<Outcome> {
  const { res, options } = await challenge(ctx, user, PROVIDER[user.kind]);
  const transactionId = res.transactionId;
  let proof: Parameters<LoadClients["auth"]["verify"]>[0]["proof"];
  let refusal = FailureReason.WRONG_CODE;
  switch (user.kind) {
    case "totp": {
      // The code is read off the token after the prompt, as a person would.
      const now = Date.now();
      const step = currentStep(now);
      user.token.setTime(Math.floor(now / 1000));
      const code = wrong ? wrongTotpCode(user.secret, step) : user.token.getTotpCode(SLOT);
      if (!wrong) user.nextStep = step + 1;
      proof = { case: "otp", value: { code } };
      break;
    }
    case "hotp": {
      const code = wrong ? wrongHotpCode(user.secret, Number(user.token.getHotpCounter(SLOT))) : user.token.getHotpCode(SLOT);
      proof = { case: "otp", value: { code } };
      break;
    }
    case "webauthn": {
      refusal = FailureReason.INVALID_ASSERTION;
      // A wrong proof: the key signs over the wrong bytes (the emulator's bogus-signature fault).
      user.device.faults = wrong ? { bogusSignature: true } : {};
      const assertion = await ctx.browser.get(JSON.parse(options) as PublicKeyCredentialRequestOptionsJSON, user.device);
      user.device.faults = {};
      proof = { case: "webauthn", value: { assertionJson: JSON.stringify(assertion) } };
      break;
    }
    case "backup-code": {
      if (!wrong && user.codes.length === 0) throw new Unexpected("no backup code left to type");
      const code = wrong ? wrongBackupCode(user.issued) : (user.codes.pop() as string);
      proof = { case: "backupCode", value: { code } };
      break;
    }
  }
  const verified = await timed(ctx, "Verify", () => ctx.clients.auth.verify({ transactionId, proof }));
  const outcome = judge(user, wrong, verified, refusal);
  if (outcome.expected && !wrong && user.kind === "backup-code" && verified.context?.backupCodesRemaining !== user.codes.length) {
    return { expected: false, why: "backup_codes_remaining does not match the codes left" };
  }
  return outcome;
}

/**
 * Runs one login of `user` (its kind decides which) and records it. A wrong
 * login sends a proof verified wrong beforehand. Never throws: every failure
 * is recorded as an unexpected outcome.
 */
export async function runLogin(ctx: LoginContext, user: LoadUser, wrong: boolean): Promise<void> {
  const start = performance.now();
  let outcome: Outcome;
  try {
    if (user.kind === "app-password") {
      const password = wrong ? wrongAppPassword(user.password) : user.password;
      const res = await timed(ctx, "VerifyAppPassword", () =>
        ctx.clients.appPasswords.verifyAppPassword({ userId: user.id, password, requiredScope: APP_PASSWORD_SCOPE }),
      );
      outcome = judge(user, wrong, res, FailureReason.WRONG_CODE);
    } else {
      outcome = await secondFactor(ctx, user, wrong);
    }
  } catch (err) {
    outcome = { expected: false, why: err instanceof Unexpected ? err.message : `client error: ${err instanceof Error ? err.name : "unknown"}` };
  }
  const end = performance.now();
  ctx.recorder.login(user.kind, wrong, end - start, outcome, end);
  // Keep the user's failures below the throttle's allowance; a success resets them.
  user.failures = outcome.expected && !wrong ? 0 : user.failures + 1;
  // A spent list is replaced outside the timed login (recorded as its own RPC).
  if (user.kind === "backup-code" && user.codes.length === 0) {
    try {
      const codes = await timed(ctx, "GenerateBackupCodes", () => generateCodes(ctx.clients, user.id));
      user.codes = [...codes];
      user.issued = codes;
    } catch {
      user.failures = Number.POSITIVE_INFINITY;
    }
  }
}
