import type { Decision, LoginProof, LoginProvider } from "../factors/index.js";
import { normaliseCrockford } from "./crockford.js";
import { BACKUP_CODE_HASH_PURPOSE, BACKUP_CODE_SYMBOLS, BACKUP_CODES_LOW } from "./rules.js";
import { consumeCodeCte, remainingCodesSql } from "./store.js";

type BackupCodeProof = Extract<LoginProof, { kind: "backup_code" }>;

/**
 * RFC 8176 AMR values for a backup code login: `otp` (a one-time password)
 * and `mfa`, since twofold only checks a second factor after the caller's first.
 */
const BACKUP_CODE_AMR: readonly string[] = ["otp", "mfa"];

/**
 * Backup codes at Challenge and Verify.
 *
 * Offered while the user has unused codes, but never a reason to require 2FA
 * (`turnsOnSecondFactor: false`): only real factors turn it on.
 *
 * At Verify the typed code is normalised (Crockford: case, spaces, dashes,
 * O/0, I/L/1) and hashed under the server pepper in memory; the write
 * consumes it by (tenant, user, hash) with one conditional UPDATE (one index
 * probe, no loop over slow hashes), in the statement that spends the
 * transaction, so a code is never burnt for a login another attempt
 * completed, and of concurrent redemptions exactly one succeeds. A code that
 * is wrong, used or from a replaced list consumes nothing: WRONG_CODE.
 * Redeeming audits `backup_codes.redeemed`, and at three or fewer left
 * `backup_codes.running_low`.
 */
export const backupCodeLoginProvider: LoginProvider<BackupCodeProof> = {
  proof: "backup_code",

  offer(_deps, view) {
    return Promise.resolve(view.backupCodesRemaining > 0 ? [{ provider: "backup_code", factors: [], turnsOnSecondFactor: false }] : []);
  },

  candidatesSql() {
    return "SELECT NULL::text AS id, NULL::timestamptz AS created_at WHERE false";
  },

  check(deps, _attempt, proof) {
    const normalised = normaliseCrockford(proof.code, BACKUP_CODE_SYMBOLS);
    // Malformed input is hashed all the same, so it costs what a real code costs, and matches nothing.
    const hash = deps.keyring.keyedHash(BACKUP_CODE_HASH_PURPOSE, normalised ?? "");
    if (normalised === undefined) {
      return Promise.resolve<Decision>({ verified: false, provider: "backup_code", reason: "wrong_code", factorId: "" });
    }
    // Codes left after this one: the snapshot's unused count, less the one burnt.
    const left = (s: Parameters<typeof remainingCodesSql>[0]) => `(${remainingCodesSql(s, s.ref("user"))} - (SELECT count(*)::integer FROM burn))`;
    return Promise.resolve<Decision>({
      verified: true,
      provider: "backup_code",
      factorId: "",
      amr: [...BACKUP_CODE_AMR],
      driftSeconds: 0,
      resynced: false,
      details: {},
      burn: {
        cte: (s, when) => consumeCodeCte(s, hash, when),
        lostReason: "wrong_code",
        remainingSql: left,
        extraAudits: (s, spent) => [
          { kind: "backup_codes.redeemed", userSql: s.ref("user"), detailsSql: `jsonb_build_object('remaining', ${left(s)})`, when: spent },
          {
            kind: "backup_codes.running_low",
            userSql: s.ref("user"),
            detailsSql: `jsonb_build_object('remaining', ${left(s)})`,
            when: `${spent} AND ${left(s)} <= ${s.param(BACKUP_CODES_LOW, "integer")}`,
          },
        ],
      },
    });
  },
};
