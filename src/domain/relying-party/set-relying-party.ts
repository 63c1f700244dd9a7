import type { AppDeps } from "../../app.js";
import { Statement } from "../../store/statement.js";
import { auditInsertCte, logWrittenAudits, writtenAuditRows, type WrittenAuditRow } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { tenantSettingsChangedSql } from "../tenant-settings.js";
import { saveRelyingPartyCte, type RelyingPartySettings } from "./relying-party.js";

/**
 * Stores the caller's tenant's relying party (parsed upstream by
 * parseRelyingParty) in one statement with its audit row and a notification
 * to every replica's copy of the tenant's settings (tenant-settings.ts). Existing
 * credentials stay: ones registered under another RP ID simply stop
 * verifying, which is what moving a relying party means in WebAuthn.
 */
export async function setRelyingParty(deps: Pick<AppDeps, "db" | "clock" | "logger">, meta: RequestMeta, rp: RelyingPartySettings): Promise<RelyingPartySettings> {
  const at = deps.clock.now();
  const s = new Statement();
  s.define("tenant", meta.caller.tenant, "text");
  s.define("now", at, "timestamptz");
  s.with("saved", saveRelyingPartyCte(s, rp, meta.caller.keyId));
  s.with(
    "audit",
    auditInsertCte(s, meta, at, [
      {
        kind: "admin.relying_party_set",
        userId: "",
        details: {
          rp_id: rp.rpId,
          allowed_origins: rp.allowedOrigins.join(" "),
          allowed_aaguids: rp.allowedAaguids.length,
          attestation_roots: rp.attestationRootCertificates.length,
        },
        when: "EXISTS (SELECT 1 FROM saved)",
      },
    ]),
  );
  const r = await s.run<{ audits: WrittenAuditRow[] | null }>(deps.db, `SELECT ${writtenAuditRows("audit")}, ${tenantSettingsChangedSql(s.ref("tenant"))}`);
  logWrittenAudits(deps.logger, meta, r.rows[0]?.audits);
  return rp;
}
