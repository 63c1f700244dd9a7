import type { AppDeps } from "../../app.js";
import { asyncCommitColumn, Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import { remainingCodesSql } from "../backup-codes/index.js";
import type { RequestMeta } from "../caller.js";
import { activeFactorsSql, factorRowsAggSql, factorRowsFromJson, type ProviderOption } from "../factors/index.js";
import {
  enforcementPolicyJsonSql,
  isEnforced,
  policyFromJson,
  providerPolicyFromJson,
  kindOfferedSql,
  providerPolicyCte,
  providerPolicyJsonFromCte,
  providerPolicyVersionFromCte,
  type EnforcementPolicyRow,
  type ProviderPolicyRow,
} from "../policy/index.js";
import { relyingPartyFromJson, relyingPartyJsonSql, type RelyingPartyRow } from "../relying-party/index.js";
import { passwordlessRequestOptions, WEBAUTHN_CHALLENGE_BYTES } from "../webauthn/index.js";
import { otpRowVersions } from "../otp/index.js";
import type { ChallengeMemory } from "./memory.js";
import { offeredOptions, offersPasswordless } from "./providers.js";
import type { TenantSettings, TenantSettingsCache } from "./settings-cache.js";
import { insertTransactionCte, TRANSACTION_TTL_MS, type Purpose } from "./transaction-store.js";

/** Who is logging in (empty for passwordless), and the groups the enforcement policy looks at. */
export interface ChallengeInput {
  /** Default: a second-factor challenge. */
  purpose?: Purpose;
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

interface ChallengeRow {
  h_factors: Record<string, unknown>[] | null;
  h_backup_remaining: number;
  /** The settings' columns: only when the replica had no copy of them. */
  h_policy?: EnforcementPolicyRow | null;
  h_rp?: RelyingPartyRow | null;
  h_providers?: ProviderPolicyRow | null;
  h_policy_version?: string;
  audits: WrittenAuditRow[] | null;
}

/**
 * Opens a login transaction (5 minutes, single use, bound to tenant, user
 * and purpose) and lists what the user can answer with, in one statement:
 * the insert, its audit row, and the reads of the user's active factors,
 * backup codes, the tenant's enforcement policy, provider policy and
 * relying party. Only kinds the provider policy offers are listed, so a user
 * whose only factors are of kinds turned off is, for enforcement, a user
 * with nothing enrolled (docs/design.md "Provider policy"). A user
 * the service has never seen gets an ordinary transaction with no
 * providers, indistinguishable from a known user without factors.
 *
 * A passwordless transaction has no user: the authenticator's discoverable
 * credential names one at Verify; its request options list no credentials
 * and require user verification.
 *
 * With the replica's ChallengeMemory, a second-factor Challenge also reads
 * the OTP rows' sealed secrets and the rows' versions, and remembers them
 * for this transaction's Verify (memory.ts). With the replica's
 * TenantSettingsCache, the tenant's policies and relying party come from
 * it when it has them, and the statement reads only the user's rows; when
 * it has not, the statement reads them as without it and leaves them there
 * (settings-cache.ts).
 */
export async function challenge(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random" | "config" | "logger">,
  meta: RequestMeta,
  input: ChallengeInput,
  memory?: ChallengeMemory,
  settings?: TenantSettingsCache,
): Promise<ChallengeResult> {
  const now = deps.clock.now();
  const purpose = input.purpose ?? "second_factor";
  const passwordless = purpose === "passwordless";
  const userId = passwordless ? "" : input.userId;
  // The WebAuthn challenge is stored with every transaction; Verify checks any assertion against it.
  const webauthnChallenge = deps.random.bytes(WEBAUTHN_CHALLENGE_BYTES).toString("base64url");
  const transactionId = deps.random.uuid();
  const expiresAt = new Date(now.getTime() + TRANSACTION_TTL_MS);

  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("user", userId, "text");
  s.define("now", now, "timestamptz");
  s.with("tx", insertTransactionCte(s, { id: transactionId, purpose, expiresAt, challenge: webauthnChallenge }));
  // A passwordless transaction's user is "", who holds no factors.
  const remember = memory !== undefined && !passwordless;
  s.with("f", activeFactorsSql(s, s.ref("user"), { rememberOtp: remember }));
  const tenant = meta.caller.tenant;
  // The tenant's settings from this replica's copy when it has them; otherwise read here and kept.
  const cached = settings?.get(tenant);
  const mark = settings?.mark();
  let offered: (kindSql: string) => string;
  if (cached === undefined) {
    // The provider policy, looked up once: for the answer and for what the audit row says was offered
    // (a second-factor Challenge never offers a passwordless credential).
    s.with("pp", providerPolicyCte(s, { version: remember || settings !== undefined }));
    offered = (kindSql) => kindOfferedSql("pp", kindSql);
  } else {
    const disabled = cached.providers?.disabled_kinds ?? [];
    const kinds = disabled.length === 0 ? undefined : s.param(disabled, "text[]");
    offered = (kindSql) => (kinds === undefined ? "true" : `${kindSql} <> ALL (${kinds})`);
  }
  // Counted once: a CTE read twice (the audit row and the answer) is computed once.
  s.with("bc", `SELECT ${passwordless ? "0" : `CASE WHEN ${offered("'backup_codes'")} THEN ${remainingCodesSql(s, s.ref("user"))} ELSE 0 END`} AS n`);
  const remaining = "(SELECT n FROM bc)";
  // The factors read in one pass for both the answer and the audit row's kinds: f, read once, is folded into this
  // query rather than stored for two readers.
  s.with(
    "fa",
    `SELECT ${factorRowsAggSql("fr")} AS rows,
       COALESCE(string_agg(DISTINCT fr.kind, ',') FILTER (WHERE fr.kind <> 'passwordless' AND ${offered("fr.kind")}), '') AS kinds
     FROM f fr`,
  );
  s.with(
    "audit",
    auditInsertCte(s, meta, now, [
      {
        kind: "login.challenged",
        userId,
        detailsSql: `jsonb_build_object('transaction_id', (SELECT id::text FROM tx), 'purpose', ${s.param(purpose, "text")},
          'factor_kinds', (SELECT kinds FROM fa),
          'backup_codes', ${remaining})`,
      },
    ]),
  );
  const head = [
    "(SELECT rows FROM fa) AS h_factors",
    `${remaining} AS h_backup_remaining`,
    ...(cached !== undefined
      ? []
      : [
          `${passwordless && settings === undefined ? "NULL::json" : enforcementPolicyJsonSql(s)} AS h_policy`,
          `${relyingPartyJsonSql(s)} AS h_rp`,
          `${providerPolicyJsonFromCte("pp")} AS h_providers`,
          `${remember || settings !== undefined ? providerPolicyVersionFromCte("pp") : "''"} AS h_policy_version`,
        ]),
    writtenAuditRows("audit"),
    // Its transaction and audit row are flushed by the Verify that claims it (or any later durable commit).
    asyncCommitColumn(),
  ].join(", ");
  const r = await s.run<ChallengeRow>(deps.db, `SELECT ${head}`);
  const first = r.rows[0];
  if (first === undefined) throw new Error("the challenge statement returned no row");
  logWrittenAudits(deps.logger, meta, first.audits);
  const read: TenantSettings = cached ?? {
    enforcement: first.h_policy ?? null,
    relyingParty: first.h_rp ?? null,
    providers: first.h_providers ?? null,
    providersVersion: first.h_policy_version ?? "",
  };
  if (cached === undefined && settings !== undefined && mark !== undefined) settings.set(tenant, read, mark);
  const relyingParty = relyingPartyFromJson(deps.config, read.relyingParty);
  const providerPolicy = providerPolicyFromJson(read.providers);

  if (passwordless) {
    if (!offersPasswordless(providerPolicy)) {
      return { transactionId, expiresAt, secondFactorRequired: false, enrolmentRequired: false, providers: [] };
    }
    const options = await passwordlessRequestOptions(relyingParty, webauthnChallenge);
    return {
      transactionId,
      expiresAt,
      secondFactorRequired: false,
      enrolmentRequired: false,
      providers: [{ provider: "webauthn", factors: [], turnsOnSecondFactor: false, webauthnRequestOptionsJson: options }],
    };
  }
  const rows = factorRowsFromJson(first.h_factors, { tenant_id: meta.caller.tenant, user_id: userId, state: "active" });
  const providers = await offeredOptions(deps, {
    factors: rows,
    backupCodesRemaining: first.h_backup_remaining,
    webauthnChallenge,
    relyingParty,
  }, providerPolicy);
  const secondFactorRequired = providers.some((p) => p.turnsOnSecondFactor && p.factors.length > 0);
  const enrolmentRequired = !secondFactorRequired && isEnforced(policyFromJson(read.enforcement), input.userGroups);
  if (remember) {
    const candidates = rows.filter((row) => row.kind === "totp" || row.kind === "hotp");
    memory.remember({
      tenant,
      transactionId,
      userId,
      expiresAt,
      candidates,
      candidateVersions: otpRowVersions(candidates),
      policy: providerPolicy,
      policyVersion: read.providersVersion,
    });
  }
  return { transactionId, expiresAt, secondFactorRequired, enrolmentRequired, providers };
}
