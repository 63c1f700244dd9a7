import type { OtpAlgorithm, OtpDigits, TotpPeriod } from "../../core/index.js";
import { authenticatorName } from "./authenticators.js";
import type { Factor, FactorKind, FactorState, TokenProfile } from "./factor.js";

/** A factors row as the stores read it: the OTP columns (001) and the WebAuthn ones (040). */
export interface FactorRow {
  tenant_id: string;
  user_id: string;
  id: string;
  kind: FactorKind;
  label: string;
  state: FactorState;
  created_at: Date;
  confirmed_at: Date | null;
  last_used_at: Date | null;
  pending_expires_at: Date | null;
  algorithm: OtpAlgorithm | null;
  digits: number | null;
  period_seconds: number | null;
  token_profile: TokenProfile;
  secret_sealed: Buffer | null;
  last_step: number;
  drift_steps: number;
  resync_step: number | null;
  resync_offset: number | null;
  webauthn_challenge: string | null;
  credential_id: string | null;
  public_key: Buffer | null;
  sign_count: number;
  transports: string[];
  aaguid: string | null;
  backup_eligible: boolean;
  backed_up: boolean;
  clone_suspected: boolean;
  /** Set by reads that join the provider policy (listLiveFactors): the tenant has turned this kind off. */
  disabled_by_policy?: boolean;
  /** Set by reads that remember rows (a Challenge's): the row version (xmin) the read saw. */
  row_version?: string;
}

/** Columns a read that filters on them knows the value of: it may leave them out and the decoder put them back. */
type KnownFactorColumns = Pick<FactorRow, "tenant_id" | "user_id" | "state">;

/**
 * Every column of a FactorRow, for SELECT and RETURNING lists; `alias`
 * qualifies them (`f.`). Columns in `nulled` (bytea ones the row type allows
 * to be null) are selected as NULL: for reads that never need them. With
 * `known`, the tenant, user and state columns are left out, for a read whose
 * WHERE clause fixes them: the row is then that much cheaper to turn into
 * JSON, and factorRowsFromJson fills them in.
 */
export function factorColumns(alias = "", nulled: readonly ("secret_sealed" | "public_key")[] = [], known = false): string {
  const a = alias === "" ? "" : `${alias}.`;
  return [
    ...(known ? [] : ["tenant_id", "user_id"]), `${a}id::text AS id`, "kind", "label", ...(known ? [] : ["state"]), "created_at",
    "confirmed_at", "last_used_at", "pending_expires_at", "algorithm", "digits", "period_seconds", "token_profile", "secret_sealed",
    "last_step", "drift_steps", "resync_step", "resync_offset", "webauthn_challenge", "credential_id", "public_key", "sign_count",
    "transports", "aaguid", "backup_eligible", "backed_up", "clone_suspected",
  ]
    .map((c) => ((nulled as readonly string[]).includes(c) ? `NULL::bytea AS ${c}` : c.includes(" AS ") ? c : `${a}${c}`))
    .join(", ");
}

/** FACTOR_COLUMNS unqualified. */
export const FACTOR_COLUMNS = factorColumns();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can name a row at all (the column is uuid; anything else names nothing). */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** The public view of a row: everything but the secret and the replay, resync and ceremony bookkeeping. */
export function factorFromRow(row: FactorRow): Factor {
  return {
    id: row.id,
    kind: row.kind,
    label: row.label,
    state: row.state,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at ?? undefined,
    lastUsedAt: row.last_used_at ?? undefined,
    pendingExpiresAt: row.state === "pending" ? (row.pending_expires_at ?? undefined) : undefined,
    algorithm: row.algorithm ?? undefined,
    digits: row.digits === 6 || row.digits === 8 ? (row.digits as OtpDigits) : undefined,
    periodSeconds: row.period_seconds === 30 || row.period_seconds === 60 ? (row.period_seconds as TotpPeriod) : undefined,
    driftSteps: row.drift_steps,
    tokenProfile: row.token_profile,
    counter: row.kind === "hotp" ? Number(row.last_step) + 1 : undefined,
    aaguid: row.aaguid ?? undefined,
    authenticatorName: row.aaguid === null ? undefined : authenticatorName(row.aaguid),
    cloneSuspected: row.clone_suspected,
    disabledByPolicy: row.disabled_by_policy ?? false,
  };
}

/** Replay and resync bookkeeping of an OTP row, as numbers. */
export function otpStateOf(row: FactorRow): { lastStep: number; resyncStep: number | undefined; resyncOffset: number | undefined } {
  return {
    lastStep: Number(row.last_step),
    resyncStep: row.resync_step === null ? undefined : Number(row.resync_step),
    resyncOffset: row.resync_offset ?? undefined,
  };
}

/**
 * Scalar SQL: the rows of `from` (a CTE or a parenthesised subquery with
 * FactorRow's columns) as one JSON array, oldest first, or NULL when there
 * are none. One value instead of one row per factor lets a statement return
 * its factors beside its other answers without a join and a sort on top
 * (docs/design.md "Database round trips"); factorRowsFromJson reads it.
 */
export function factorRowsJsonSql(from: string): string {
  return `(SELECT ${factorRowsAggSql("fr")} FROM ${from} fr)`;
}

/** The aggregate factorRowsJsonSql is, over the rows of `alias`, for a query that aggregates more beside it. */
export function factorRowsAggSql(alias: string): string {
  return `json_agg(${alias} ORDER BY ${alias}.created_at, ${alias}.id)`;
}

/** A FactorRow as json_agg writes it: timestamps and bytea as text. */
type JsonFactorRow = Omit<FactorRow, "created_at" | "confirmed_at" | "last_used_at" | "pending_expires_at" | "secret_sealed" | "public_key"> & {
  created_at: string;
  confirmed_at: string | null;
  last_used_at: string | null;
  pending_expires_at: string | null;
  secret_sealed: string | null;
  public_key: string | null;
};

/**
 * The rows of a factorRowsJsonSql value, decoded as the row decoders would
 * have: timestamps as Dates, bytea (`\x` hex) as Buffers; numbers, booleans,
 * arrays and text are already what they are in a row. `known` gives the
 * columns a read left out (factorColumns with `known`).
 *
 * Each row is written out as one object literal, column by column: every row
 * then has the same shape, and a copy by spread of two sources (`known`
 * and the element) was measured at ten times the cost of this (about 37 µs
 * a row: V8 defines the properties one by one), a fifth of the server's CPU
 * per login.
 */
export function factorRowsFromJson(json: readonly Record<string, unknown>[] | null, known?: KnownFactorColumns): FactorRow[] {
  return (json ?? []).map((element) => {
    const e = element as unknown as JsonFactorRow;
    return {
      tenant_id: known === undefined ? e.tenant_id : known.tenant_id,
      user_id: known === undefined ? e.user_id : known.user_id,
      id: e.id,
      kind: e.kind,
      label: e.label,
      state: known === undefined ? e.state : known.state,
      created_at: new Date(e.created_at),
      confirmed_at: dateOrNull(e.confirmed_at),
      last_used_at: dateOrNull(e.last_used_at),
      pending_expires_at: dateOrNull(e.pending_expires_at),
      algorithm: e.algorithm,
      digits: e.digits,
      period_seconds: e.period_seconds,
      token_profile: e.token_profile,
      secret_sealed: byteaOrNull("secret_sealed", e.secret_sealed),
      last_step: e.last_step,
      drift_steps: e.drift_steps,
      resync_step: e.resync_step,
      resync_offset: e.resync_offset,
      webauthn_challenge: e.webauthn_challenge,
      credential_id: e.credential_id,
      public_key: byteaOrNull("public_key", e.public_key),
      sign_count: e.sign_count,
      transports: e.transports,
      aaguid: e.aaguid,
      backup_eligible: e.backup_eligible,
      backed_up: e.backed_up,
      clone_suspected: e.clone_suspected,
      ...(e.row_version === undefined ? {} : { row_version: e.row_version }),
    };
  });
}

function dateOrNull(v: string | null | undefined): Date | null {
  return typeof v === "string" ? new Date(v) : null;
}

function byteaOrNull(column: string, v: string | null | undefined): Buffer | null {
  if (typeof v !== "string") return null;
  // Postgres's default bytea_output; the service never changes it.
  if (!v.startsWith("\\x")) throw new Error(`factor column ${column} reached JSON in a form other than hex`);
  return Buffer.from(v.slice(2), "hex");
}
