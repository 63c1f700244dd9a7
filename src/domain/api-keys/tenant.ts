import { invalidArgument } from "../errors.js";

const TENANT = /^[A-Za-z0-9._-]{1,64}$/;

/** Tenant names are safe in logs, URLs and CLI arguments: 1–64 of [A-Za-z0-9._-]. */
export function isValidTenant(tenant: string): boolean {
  return TENANT.test(tenant);
}

/** Throws INVALID_ARGUMENT naming `field` unless `tenant` is a valid tenant name. */
export function assertTenant(tenant: string, field = "tenant"): void {
  if (!isValidTenant(tenant)) {
    throw invalidArgument([{ field, description: "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'" }]);
  }
}
