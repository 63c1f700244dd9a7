import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition } from "../errors.js";
import { factorFromRow, insertFactorCte, MAX_FACTORS_PER_USER, PENDING_TTL_MS, purgeLapsedCte, type Factor, type FactorRow } from "../factors/index.js";
import { policyAllowsSql, policyGateCte, policyRefusalError, type PolicyRefusal } from "../policy/index.js";
import { relyingPartyFromJson, relyingPartyJsonSql, type RelyingPartyRow } from "../relying-party/index.js";
import { CHALLENGE_BYTES, type WebAuthnRole } from "./helpers/ceremony-policy.js";
import { USER_HANDLE_BYTES } from "./rules.js";
import { creationOptions } from "./registration/creation-options.js";
import { ensureUserHandleCte, userCredentialsSql, userHandleSql } from "./store.js";

/** The user, the label they will recognise the key by, and the ceremony's role and names. */
export interface EnrolWebAuthnInput {
  userId: string;
  label: string;
  passwordless: boolean;
  /** user.name for the authenticator's account list; empty means the user id. */
  userName: string;
  /** user.displayName; empty means the user name. */
  userDisplayName: string;
}

interface EnrolRow extends Partial<FactorRow> {
  h_handle: string | null;
  h_rp: RelyingPartyRow | null;
  h_inserted: FactorRow | null;
  h_refusal: PolicyRefusal | null;
  audits: WrittenAuditRow[] | null;
}

/**
 * Starts a WebAuthn enrolment in one statement: lapsed enrolments purged, a
 * PENDING factor (WEBAUTHN or PASSWORDLESS) for 10 minutes holding the
 * registration challenge (within the per-user limit), the user's stable
 * WebAuthn user handle made on first use, their credentials (to exclude) and
 * the tenant's relying party read, and the audit rows. The tenant's provider
 * policy gates the changes: a role turned off is FAILED_PRECONDITION
 * PROVIDER_DISABLED and changes nothing. Returns the creation
 * options JSON the caller's page passes to navigator.credentials.create().
 */
export async function enrolWebAuthn(
  deps: Pick<AppDeps, "db" | "clock" | "random" | "config" | "logger">,
  meta: RequestMeta,
  input: EnrolWebAuthnInput,
): Promise<{ factor: Factor; creationOptionsJson: string }> {
  const now = deps.clock.now();
  const role: WebAuthnRole = input.passwordless ? "passwordless" : "webauthn";
  const id = deps.random.uuid();
  const challenge = deps.random.bytes(CHALLENGE_BYTES);
  const candidateHandle = deps.random.bytes(USER_HANDLE_BYTES).toString("base64url");

  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("user", input.userId, "text");
  s.define("now", now, "timestamptz");
  s.with("gate", policyGateCte(s, { kind: role }));
  const allowed = policyAllowsSql("gate");
  s.with("purged", purgeLapsedCte(s, allowed));
  s.with(
    "inserted",
    insertFactorCte(
      s,
      {
        id,
        kind: role,
        label: input.label,
        state: "pending",
        pendingExpiresAt: new Date(now.getTime() + PENDING_TTL_MS),
        tokenProfile: "generic",
        webauthnChallenge: Buffer.from(challenge).toString("base64url"),
      },
      MAX_FACTORS_PER_USER,
      allowed,
    ),
  );
  s.with("handle", ensureUserHandleCte(s, candidateHandle, allowed));
  s.with("creds", userCredentialsSql(s));
  s.with(
    "audit",
    auditInsertCte(s, meta, now, [
      { kind: "factor.expired", userId: input.userId, factorSql: "p.id", from: "purged p" },
      {
        kind: "factor.enrolled",
        userId: input.userId,
        factorId: id,
        detailsSql: `jsonb_build_object('factor_kind', ${s.param(role, "text")}, 'rp_id', (${relyingPartyJsonSql(s)})->>'rp_id',
          'excluded_credentials', (SELECT count(*) FROM creds))`,
        when: "EXISTS (SELECT 1 FROM inserted)",
      },
    ]),
  );
  const head = [
    `COALESCE((SELECT user_handle FROM handle), ${userHandleSql(s, s.ref("user"))}) AS h_handle`,
    `${relyingPartyJsonSql(s)} AS h_rp`,
    "(SELECT row_to_json(i) FROM inserted i) AS h_inserted",
    "(SELECT refusal FROM gate) AS h_refusal",
    writtenAuditRows("audit"),
  ].join(", ");
  const r = await s.run<EnrolRow>(deps.db, `SELECT h.*, creds.* FROM (SELECT ${head}) h LEFT JOIN creds ON true ORDER BY creds.created_at, creds.id`);
  const first = r.rows[0];
  if (first === undefined) throw new Error("the enrolment statement returned no row");
  logWrittenAudits(deps.logger, meta, first.audits);
  // Ensure the tenant offers this role.
  if (first.h_refusal !== null) throw policyRefusalError(first.h_refusal, role);
  const inserted = first.h_inserted;
  if (inserted === null) throw failedPrecondition(`a user may hold at most ${MAX_FACTORS_PER_USER} factors`, "TOO_MANY_FACTORS");
  // Two first enrolments of one user racing: the other's handle won, and is visible to a new statement.
  const userHandle = first.h_handle ?? (await handleAfterRace(deps, meta.caller.tenant, input.userId));

  const rp = relyingPartyFromJson(deps.config, first.h_rp);
  const existing = r.rows.filter((row): row is EnrolRow & FactorRow => row.id !== null && row.id !== undefined);
  const userName = input.userName !== "" ? input.userName : input.userId;
  const options: PublicKeyCredentialCreationOptionsJSON = await creationOptions({
    rp,
    role,
    userHandle,
    userName,
    userDisplayName: input.userDisplayName !== "" ? input.userDisplayName : userName,
    challenge,
    existing,
  });
  return { factor: factorFromRow(rowFromJson(inserted)), creationOptionsJson: JSON.stringify(options) };
}

async function handleAfterRace(deps: Pick<AppDeps, "db">, tenant: string, userId: string): Promise<string> {
  const s = new Statement();
  s.define("tenant", tenant, "text");
  const r = await s.run<{ handle: string | null }>(deps.db, `SELECT ${userHandleSql(s, s.param(userId, "text"))} AS handle`);
  const handle = r.rows[0]?.handle;
  if (handle === null || handle === undefined) throw new Error("user handle vanished after insert");
  return handle;
}

/** A factor row that came back as JSON (row_to_json): timestamps as text, bytea as \\x hex. */
function rowFromJson(j: FactorRow): FactorRow {
  const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));
  return {
    ...j,
    created_at: date(j.created_at) as Date,
    confirmed_at: date(j.confirmed_at),
    last_used_at: date(j.last_used_at),
    pending_expires_at: date(j.pending_expires_at),
    secret_sealed: null,
    public_key: null,
  };
}
