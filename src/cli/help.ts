import { VARIABLES } from "../config/variables.js";

/** `twofold --help`: commands, then every environment variable with its default. */
export function helpText(): string {
  const width = Math.max(...VARIABLES.map((v) => v.name.length));
  return [
    "twofold: second-factor authentication service",
    "",
    "Usage:",
    "  twofold serve                                   run the service (migrates first)",
    "  twofold migrate                                 apply database migrations and exit",
    "  twofold api-keys create --tenant T --role service|admin [--name N]",
    "                                                  create a key; the key is the last line",
    "  twofold api-keys list --tenant T                list a tenant's keys (never the secrets)",
    "  twofold api-keys revoke --tenant T --id ID      revoke a key, effective at once",
    "  twofold keys generate [--id ID]                 print a new TWOFOLD_KEYS entry",
    "  twofold keys rotate                             re-seal every factor secret under the newest key",
    "  twofold import pskc FILE --tenant T [--dry-run] [--activate] [--pre-shared-key HEX]",
    "                                                  import hardware OTP seeds (RFC 6030); never prints secrets",
    "  twofold mds import FILE [--root FILE]           verify a FIDO MDS3 blob (JWT) and store its FIDO2 entries",
    "                                                  (default root: the FIDO Alliance MDS root built in)",
    "  twofold provider-policy get --tenant T          show which factor kinds the tenant offers, and their limits",
    "  twofold provider-policy set --tenant T [--disable KIND,...] [--totp-algorithms SHA1,...]",
    "          [--totp-digits 6,8] [--totp-hardware-only] [--app-password-max-lifetime 90d]",
    "                                                  replace the policy (kinds: totp, hotp, webauthn, passwordless,",
    "                                                  backup_codes, app_passwords); audited",
    "",
    "Configuration (environment variables):",
    ...VARIABLES.map((v) => `  ${v.name.padEnd(width)}  default ${v.default.replace(/`/g, "")}`),
    "",
    "Exit status: 0 done, 1 failed, 2 bad command line or configuration.",
    "",
  ].join("\n");
}
