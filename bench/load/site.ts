/**
 * The web origin the emulated browser runs WebAuthn ceremonies from: the
 * tenant's relying party as the service reports it (an admin key can read
 * it), else the service's configured default.
 */
import type { LoadClients } from "./clients.js";

/** The service's default origin (TWOFOLD_RP_ORIGINS unset). */
const DEFAULT_ORIGIN = "http://localhost:3000";

/** An origin the service accepts for the caller's tenant. */
export async function webAuthnOrigin(clients: LoadClients, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { relyingParty } = await clients.admin.getRelyingParty({});
    if (relyingParty !== undefined && relyingParty.rpId !== "") {
      const rpId = relyingParty.rpId;
      const match = relyingParty.allowedOrigins.find((o) => {
        const host = new URL(o).hostname;
        return host === rpId || host.endsWith(`.${rpId}`);
      });
      if (match !== undefined) return match;
    }
  } catch {
    // A service-role key may not read the relying party: use the configured default.
  }
  return env["TWOFOLD_RP_ORIGINS"]?.split(",")[0]?.trim() || DEFAULT_ORIGIN;
}
