/**
 * The NOTIFY channel on which a statement that changes a tenant's settings
 * read at login (enforcement policy, provider policy, relying party)
 * announces it, with the tenant as payload: every replica's
 * TenantSettingsCache (login/settings-cache.ts) drops that tenant when it
 * hears it.
 */
export const TENANT_SETTINGS_CHANNEL = "twofold_tenant_settings";

/** A select-list entry announcing, when the statement commits, that the tenant `tenantSql` names changed its settings. */
export function tenantSettingsChangedSql(tenantSql: string): string {
  return `pg_notify('${TENANT_SETTINGS_CHANNEL}', ${tenantSql}) AS settings_changed`;
}
