import type { AppDeps } from "../../../app.js";
import { factorSecretAad } from "../../../crypto/keyring.js";
import { Statement } from "../../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../../audit/index.js";
import type { RequestMeta } from "../../caller.js";
import { insertFactorCte, MAX_FACTORS_PER_USER, type TokenProfile } from "../../factors/index.js";
import { parsePskc, type PskcToken } from "./parse-pskc.js";
import { PskcError } from "./pskc-error.js";

/**
 * How long an imported factor may stay PENDING: seeds ship with the tokens,
 * and users confirm when the token reaches them, days rather than minutes later.
 */
export const PSKC_PENDING_TTL_MS = 30 * 24 * 3600 * 1000;

/** What the import does for one token: everything an operator may see, never the secret. */
export interface ImportedToken {
  keyId: string;
  userId: string;
  kind: "hotp" | "totp";
  digits: number;
  serialNo: string;
  manufacturer: string;
  tokenProfile: TokenProfile;
  label: string;
  /** The factor created; empty on a dry run. */
  factorId: string;
}

/** One import run: the tenant, the container text, the PSK when it is encrypted. */
export interface ImportPskcInput {
  tenant: string;
  source: string;
  preSharedKey: Uint8Array | undefined;
  dryRun: boolean;
  /** Create ACTIVE factors (the operator vouches for the tokens) instead of PENDING ones. */
  activate: boolean;
}

function describe(t: PskcToken, factorId: string): ImportedToken {
  return {
    keyId: t.keyId,
    userId: t.userId,
    kind: t.kind,
    digits: t.digits,
    serialNo: t.serialNo,
    manufacturer: t.manufacturer,
    tokenProfile: t.tokenProfile,
    label: t.label,
    factorId,
  };
}

/**
 * Imports a vendor's PSKC container (RFC 6030) as OTP factors. The whole
 * container is read, decrypted, MAC-checked and validated first (by the same
 * spec rules as Enrol); then every factor is written in one database
 * transaction, one statement per token (the insert within the per-user limit
 * and its audit row), so a refused container (or a user at the factor
 * limit) imports nothing. A dry run stops after the validation and writes
 * nothing.
 */
export async function importPskc(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random" | "logger">,
  meta: RequestMeta,
  input: ImportPskcInput,
): Promise<ImportedToken[]> {
  const tokens = parsePskc(input.source, input.preSharedKey);
  try {
    if (input.dryRun) return tokens.map((t) => describe(t, ""));
    const now = deps.clock.now();
    const tenant = input.tenant;
    const state = input.activate ? "active" : "pending";
    // The rows belong to the tenant named on the command line.
    const m: RequestMeta = { ...meta, caller: { ...meta.caller, tenant } };
    const written: WrittenAuditRow[] = [];
    const done = await deps.db.transaction(async (tx) => {
      const imported: ImportedToken[] = [];
      for (const t of tokens) {
        const id = deps.random.uuid();
        const s = new Statement();
        s.define("tenant", tenant, "text");
        s.define("user", t.userId, "text");
        s.define("now", now, "timestamptz");
        s.with(
          "inserted",
          insertFactorCte(
            s,
            {
              id,
              kind: t.kind,
              label: t.label,
              state,
              pendingExpiresAt: input.activate ? undefined : new Date(now.getTime() + PSKC_PENDING_TTL_MS),
              tokenProfile: t.tokenProfile,
              algorithm: t.algorithm,
              digits: t.digits,
              periodSeconds: t.kind === "totp" ? t.periodSeconds : null,
              secretSealed: deps.keyring.seal(t.secret, factorSecretAad(tenant, t.userId, id)),
              // HOTP: the next expected counter is the token's; TOTP: no step used yet.
              lastStep: t.kind === "hotp" ? t.counter - 1 : -1,
            },
            MAX_FACTORS_PER_USER,
          ),
        );
        s.with(
          "audit",
          auditInsertCte(s, m, now, [
            {
              kind: "factor.imported",
              userId: t.userId,
              factorId: id,
              details: { factor_kind: t.kind, digits: t.digits, token_profile: t.tokenProfile, serial_no: t.serialNo, key_id: t.keyId, state },
              when: "EXISTS (SELECT 1 FROM inserted)",
            },
          ]),
        );
        const r = await s.run<{ inserted: boolean; audits: WrittenAuditRow[] | null }>(
          tx,
          `SELECT EXISTS (SELECT 1 FROM inserted) AS inserted, ${writtenAuditRows("audit")}`,
        );
        if (r.rows[0]?.inserted !== true) {
          throw new PskcError(`key ${JSON.stringify(t.keyId)}: the user already holds ${MAX_FACTORS_PER_USER} factors`);
        }
        written.push(...(r.rows[0]?.audits ?? []));
        imported.push(describe(t, id));
      }
      return imported;
    });
    // The log lines once the transaction committed.
    logWrittenAudits(deps.logger, m, written);
    return done;
  } finally {
    for (const t of tokens) t.secret.fill(0);
  }
}
