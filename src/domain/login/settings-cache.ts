import type { AppDeps } from "../../app.js";
import { NotifiedCache } from "../../store/notified-cache.js";
import type { EnforcementPolicyRow, ProviderPolicyRow } from "../policy/index.js";
import type { RelyingPartyRow } from "../relying-party/index.js";
import { TENANT_SETTINGS_CHANNEL } from "../tenant-settings.js";

/** The tenant's settings a Challenge reads, as its statement returned them (null: the tenant never set one). */
export interface TenantSettings {
  enforcement: EnforcementPolicyRow | null;
  relyingParty: RelyingPartyRow | null;
  providers: ProviderPolicyRow | null;
  /** The provider policy row's version (providerPolicyVersionSql), for a Verify that relies on it. */
  providersVersion: string;
}

/**
 * A replica's copy of each tenant's login settings, so that a Challenge
 * reads only the user's rows (docs/design.md "Database round trips"). A
 * Challenge that finds no entry reads the settings in its one statement, as
 * without a cache, and leaves them here. The statements that change a
 * setting announce it on TENANT_SETTINGS_CHANNEL, and every replica drops
 * the tenant when it hears it; the replica that made the change drops it at
 * once (forget). A setting changed elsewhere reaches this replica's
 * Challenges within the notification's delivery time; a Verify never relies
 * on this copy: the one-statement Verify checks the provider policy's
 * version in its own statement.
 */
export type TenantSettingsCache = NotifiedCache<TenantSettings>;

/** Opens this replica's TenantSettingsCache (one LISTEN connection); close() ends it. */
export function openTenantSettingsCache(
  deps: Pick<AppDeps, "db" | "clock">,
  opts: { ttlMs?: number; maxEntries?: number } = {},
): Promise<TenantSettingsCache> {
  return NotifiedCache.open<TenantSettings>(deps.db, TENANT_SETTINGS_CHANNEL, (tenant, key) => key === tenant, {
    ttlMs: opts.ttlMs ?? 60_000,
    maxEntries: opts.maxEntries ?? 10_000,
    now: () => deps.clock.now().getTime(),
  });
}
