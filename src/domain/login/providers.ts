import type { Statement } from "../../store/statement.js";
import { backupCodeLoginProvider } from "../backup-codes/index.js";
import type { ChallengeView, Decision, FactorRow, LoginAttempt, LoginProof, LoginProvider, ProviderDeps, ProviderOption } from "../factors/index.js";
import { otpLoginProvider } from "../otp/index.js";
import { webauthnLoginProvider } from "../webauthn/index.js";

/**
 * The one provider registry: every factor that answers a challenge, in the
 * order Challenge offers them (TOTP, HOTP, WebAuthn, backup codes). Verify
 * hands each proof to the provider of its kind.
 */
const REGISTRY: readonly Pick<LoginProvider, "offer">[] = [otpLoginProvider, webauthnLoginProvider, backupCodeLoginProvider];

/** A provider bound to the proof it is to check. */
export interface BoundProvider {
  candidatesSql(s: Statement, userSql: string): string;
  identifySql?(s: Statement): string;
  check(deps: ProviderDeps, attempt: LoginAttempt, candidates: readonly FactorRow[]): Promise<Decision>;
}

function bind<P extends LoginProof>(provider: LoginProvider<P>, proof: P): BoundProvider {
  const identify = provider.identifySql;
  return {
    candidatesSql: (s, userSql) => provider.candidatesSql(s, userSql, proof),
    ...(identify === undefined ? {} : { identifySql: (s: Statement) => identify(s, proof) }),
    check: (deps, attempt, candidates) => provider.check(deps, attempt, proof, candidates),
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

/** Every provider's options for the user, in the registry's order. */
export async function offeredOptions(deps: ProviderDeps, view: ChallengeView): Promise<ProviderOption[]> {
  const options: ProviderOption[] = [];
  for (const provider of REGISTRY) options.push(...(await provider.offer(deps, view)));
  return options;
}
