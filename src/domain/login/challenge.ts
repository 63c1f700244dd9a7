import type { AppDeps } from "../../app.js";
import { recordAudit } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { enrolmentRequired } from "../policy/index.js";
import type { ProviderOption } from "./provider.js";
import { loginProviders } from "./providers.js";
import { insertTransaction, TRANSACTION_TTL_MS } from "./transaction-store.js";

/** Bytes of a WebAuthn challenge (W3C WebAuthn §13.4.3 asks for at least 16). */
const WEBAUTHN_CHALLENGE_BYTES = 32;

/** Who is logging in, and the groups the enforcement policy looks at. */
export interface ChallengeInput {
  userId: string;
  userGroups: readonly string[];
}

/** The open transaction and what the user can answer it with. */
export interface ChallengeResult {
  transactionId: string;
  expiresAt: Date;
  /** The user has an active second factor and must use it. */
  secondFactorRequired: boolean;
  /** The tenant's policy enforces 2FA for the user, and nothing is enrolled yet. */
  enrolmentRequired: boolean;
  providers: ProviderOption[];
}

/**
 * Opens a second-factor login transaction (5 minutes, single use, bound to
 * tenant, user and purpose) and lists what the user can answer with. A user
 * the service has never seen gets an ordinary transaction with no providers,
 * indistinguishable from a known user without factors.
 */
export async function challenge(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random" | "config" | "logger">,
  meta: RequestMeta,
  input: ChallengeInput,
): Promise<ChallengeResult> {
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  const providers: ProviderOption[] = [];
  const ctx = { webauthnChallenge: deps.random.bytes(WEBAUTHN_CHALLENGE_BYTES).toString("base64url") };
  for (const p of loginProviders) {
    const option = await p.options(deps, tenant, input.userId, ctx);
    if (option !== undefined) providers.push(option);
  }
  const secondFactorRequired = providers.some((p) => p.turnsOnSecondFactor && p.factors.length > 0);
  const mustEnrol = await enrolmentRequired(deps, tenant, input.userGroups, secondFactorRequired);
  const transactionId = deps.random.uuid();
  const expiresAt = new Date(now.getTime() + TRANSACTION_TTL_MS);
  // The WebAuthn challenge is stored with every transaction; Verify checks any assertion against it.
  await insertTransaction(deps.db, {
    tenant,
    userId: input.userId,
    id: transactionId,
    purpose: "second_factor",
    createdAt: now,
    expiresAt,
    challenge: ctx.webauthnChallenge,
  });
  await recordAudit(deps, deps.db, meta, now, {
    kind: "login.challenged",
    userId: input.userId,
    details: {
      transaction_id: transactionId,
      providers: providers.map((p) => p.provider).join(","),
      second_factor_required: secondFactorRequired,
      enrolment_required: mustEnrol,
    },
  });
  return { transactionId, expiresAt, secondFactorRequired, enrolmentRequired: mustEnrol, providers };
}
