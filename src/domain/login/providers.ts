import type { Statement } from "../../store/statement.js";
import { backupCodeLoginProvider } from "../backup-codes/index.js";
import type { ChallengeView, Decision, FactorRow, LoginAttempt, LoginProof, LoginProvider, ProviderDeps, ProviderOption } from "../factors/index.js";
import { otpLoginProvider } from "../otp/index.js";
import { kindEnabled, type PolicyKind, type ProviderPolicy } from "../policy/index.js";
import { webauthnLoginProvider } from "../webauthn/index.js";
import type { Purpose } from "./transaction-store.js";

/**
 * The one provider registry: every factor that answers a challenge, in the
 * order Challenge offers them (TOTP, HOTP, WebAuthn, backup codes). Verify
 * hands each proof to the provider of its kind.
 *
 * It is also the one place the tenant's provider policy decides what a
 * login may use (docs/design.md "Provider policy"): the providers see only
 * factors of kinds the policy offers, and never the policy itself.
 */
const REGISTRY: readonly Pick<LoginProvider, "offer">[] = [otpLoginProvider, webauthnLoginProvider, backupCodeLoginProvider];

/** A provider bound to the proof it is to check. */
export interface BoundProvider {
  candidatesSql(s: Statement, userSql: string): string;
  identifySql?(s: Statement): string;
  check(deps: ProviderDeps, attempt: LoginAttempt, candidates: readonly FactorRow[], policy: ProviderPolicy): Promise<Decision>;
}

/** The policy kinds a proof may stand for on a transaction of `purpose`. */
function kindsOf(proof: LoginProof, purpose: Purpose): PolicyKind[] {
  switch (proof.kind) {
    case "otp":
      return ["totp", "hotp"];
    case "webauthn":
      return [purpose === "passwordless" ? "passwordless" : "webauthn"];
    case "backup_code":
      return ["backup_codes"];
  }
}

/** Rows of kinds the policy offers (factors.kind values are policy kinds). */
function usable(policy: ProviderPolicy, rows: readonly FactorRow[]): FactorRow[] {
  return rows.filter((r) => kindEnabled(policy, r.kind));
}

/**
 * The provider's judgement under the policy. The provider judges the proof
 * against the candidates of enabled kinds with its usual constant work, so a
 * refused kind costs what any refusal costs (docs/design.md "Constant
 * work"). The answer is then PROVIDER_DISABLED, with nothing burnt or
 * remembered, when every kind the proof may stand for is off, or when some
 * are off and no usable factor was left to judge it. Both depend only on the
 * policy and the usable factors, which Challenge shows anyway, so the answer
 * tells no more about the user than Challenge does.
 */
function bind<P extends LoginProof>(provider: LoginProvider<P>, proof: P): BoundProvider {
  const identify = provider.identifySql;
  return {
    candidatesSql: (s, userSql) => provider.candidatesSql(s, userSql, proof),
    ...(identify === undefined ? {} : { identifySql: (s: Statement) => identify(s, proof) }),
    async check(deps, attempt, candidates, policy) {
      const rows = usable(policy, candidates);
      const decision = await provider.check(deps, attempt, proof, rows);
      const kinds = kindsOf(proof, attempt.purpose);
      const off = kinds.filter((k) => !kindEnabled(policy, k));
      const allOff = off.length === kinds.length;
      const nothingUsable = off.length > 0 && !decision.verified && rows.length === 0;
      if (!allOff && !nothingUsable) return decision;
      return { verified: false, provider: decision.provider, reason: "provider_disabled", factorId: "" };
    },
  };
}

/** The provider that checks `proof`. */
export function providerFor(proof: LoginProof): BoundProvider {
  switch (proof.kind) {
    case "otp":
      return bind(otpLoginProvider, proof);
    case "webauthn":
      return bind(webauthnLoginProvider, proof);
    case "backup_code":
      return bind(backupCodeLoginProvider, proof);
  }
}

/** Every provider's options for the user, in the registry's order, of the kinds the policy offers. */
export async function offeredOptions(deps: ProviderDeps, view: ChallengeView, policy: ProviderPolicy): Promise<ProviderOption[]> {
  const allowed: ChallengeView = {
    ...view,
    factors: usable(policy, view.factors),
    backupCodesRemaining: kindEnabled(policy, "backup_codes") ? view.backupCodesRemaining : 0,
  };
  const options: ProviderOption[] = [];
  for (const provider of REGISTRY) options.push(...(await provider.offer(deps, allowed)));
  return options;
}

/** Whether a passwordless Challenge offers WebAuthn. */
export function offersPasswordless(policy: ProviderPolicy): boolean {
  return kindEnabled(policy, "passwordless");
}
