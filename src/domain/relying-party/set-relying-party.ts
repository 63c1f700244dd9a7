import type { AppDeps } from "../../app.js";
import { recordAudit } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { saveRelyingParty, type RelyingPartySettings } from "./relying-party.js";
import { parseRelyingParty, type RelyingPartyInput } from "./validate-relying-party.js";

/**
 * Validates and stores the caller's tenant's relying party, audited in the
 * same transaction. Returns it as stored (normalised). Existing credentials
 * stay: ones registered under another RP ID simply stop verifying, which is
 * what moving a relying party means in WebAuthn.
 */
export async function setRelyingParty(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  meta: RequestMeta,
  input: RelyingPartyInput,
): Promise<RelyingPartySettings> {
  const rp = parseRelyingParty(input);
  const at = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    await saveRelyingParty(tx, meta.caller.tenant, rp, at, meta.caller.keyId);
    await recordAudit(deps, tx, meta, at, {
      userId: "",
      kind: "admin.relying_party_set",
      details: {
        rp_id: rp.rpId,
        allowed_origins: rp.allowedOrigins.join(" "),
        allowed_aaguids: rp.allowedAaguids.length,
        attestation_roots: rp.attestationRootCertificates.length,
      },
    });
  });
  return rp;
}
