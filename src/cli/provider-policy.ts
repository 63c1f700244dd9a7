import type { AppDeps } from "../app.js";
import type { OtpAlgorithm } from "../core/index.js";
import type { RequestMeta } from "../domain/caller.js";
import {
  loadProviderPolicy,
  parseProviderPolicy,
  POLICY_KINDS,
  setProviderPolicy,
  type PolicyKind,
  type ProviderPolicy,
} from "../domain/policy/index.js";
import type { Print } from "./api-keys.js";
import { UsageError } from "./boot.js";

/** The flags `provider-policy` reads, as parseArgs returns them. */
export interface ProviderPolicyArgs {
  tenant?: string | undefined;
  disable?: string | undefined;
  "totp-algorithms"?: string | undefined;
  "totp-digits"?: string | undefined;
  "totp-hardware-only"?: boolean | undefined;
  "app-password-max-lifetime"?: string | undefined;
}

/** A checked `provider-policy` command line, ready to run. */
export type ProviderPolicyCommand = { action: "get"; tenant: string } | { action: "set"; tenant: string; policy: ProviderPolicy };

const ALGORITHMS: readonly OtpAlgorithm[] = ["SHA1", "SHA256", "SHA512"];
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function list(value: string | undefined): string[] {
  return value === undefined || value.trim() === "" ? [] : value.split(",").map((x) => x.trim());
}

/** `90d`, `12h`, `30m`, `600s` or plain seconds, in ms; NaN for anything else (the policy's rules then name the field). */
function lifetimeMs(value: string): number {
  const m = /^([0-9]+)([smhd]?)$/.exec(value.trim());
  if (m === null) return Number.NaN;
  return Number(m[1]) * (UNITS[m[2] === "" || m[2] === undefined ? "s" : m[2]] ?? Number.NaN);
}

/**
 * Checks the command line before anything opens the database. `set`
 * replaces the whole policy, like SetProviderPolicy, and goes through the
 * same rules (parseProviderPolicy). Given only some TOTP flags, the lists
 * not given allow everything.
 */
export function parseProviderPolicyCommand(action: string | undefined, args: ProviderPolicyArgs): ProviderPolicyCommand {
  const tenant = args.tenant;
  if (action !== "get" && action !== "set") throw new UsageError("provider-policy needs one of: get, set");
  if (tenant === undefined || tenant === "") throw new UsageError("missing --tenant");
  if (action === "get") return { action, tenant };
  const kindNames = new Set<string>(POLICY_KINDS);
  const totpGiven = args["totp-algorithms"] !== undefined || args["totp-digits"] !== undefined || args["totp-hardware-only"] === true;
  const algorithms = list(args["totp-algorithms"]).map((a) => a.toUpperCase());
  const digits = list(args["totp-digits"]);
  const lifetime = args["app-password-max-lifetime"];
  const policy = parseProviderPolicy({
    disabledKinds: list(args.disable).map((k) => {
      const name = k.toLowerCase().replace(/-/g, "_");
      return kindNames.has(name) ? (name as PolicyKind) : undefined;
    }),
    totp: totpGiven
      ? {
          algorithms: args["totp-algorithms"] === undefined ? ALGORITHMS : algorithms.map((a) => ALGORITHMS.find((x) => x === a)),
          digits: args["totp-digits"] === undefined ? [6, 8] : digits.map((d) => (/^[0-9]+$/.test(d) ? Number(d) : Number.NaN)),
          hardwareOnly: args["totp-hardware-only"] === true,
        }
      : undefined,
    appPasswords: lifetime === undefined ? undefined : { maxLifetimeMs: lifetimeMs(lifetime) },
  });
  return { action, tenant, policy };
}

/** The policy as `get` and `set` print it, one line per part. */
function describe(p: ProviderPolicy): string[] {
  const enabled = POLICY_KINDS.filter((k) => !p.disabledKinds.includes(k));
  return [
    `enabled: ${enabled.length === 0 ? "none" : enabled.join(", ")}`,
    `disabled: ${p.disabledKinds.length === 0 ? "none" : p.disabledKinds.join(", ")}`,
    p.totp === undefined
      ? "totp limits: none"
      : `totp limits: algorithms ${p.totp.algorithms.join(", ")}; digits ${p.totp.digits.join(", ")}; ${p.totp.hardwareOnly ? "hardware tokens only" : "apps and hardware tokens"}`,
    `app password max lifetime: ${p.appPasswordMaxLifetimeMs === undefined ? "none" : `${Math.floor(p.appPasswordMaxLifetimeMs / 1000)}s`}`,
  ];
}

/**
 * `twofold provider-policy get|set`: reads or replaces a tenant's provider
 * policy directly in the database, as `import pskc` writes factors; the
 * change is audited as `admin.provider_policy_set` with key id `cli`.
 */
export async function runProviderPolicyCommand(deps: AppDeps, cmd: ProviderPolicyCommand, print: Print): Promise<void> {
  if (cmd.action === "get") {
    for (const line of describe(await loadProviderPolicy(deps.db, cmd.tenant))) print(line);
    return;
  }
  const meta: RequestMeta = { caller: { tenant: cmd.tenant, keyId: "cli", role: "admin" }, clientIp: "", requestId: "cli-provider-policy" };
  const stored = await setProviderPolicy(deps, meta, cmd.policy);
  print(`set the provider policy of tenant ${cmd.tenant}:`);
  for (const line of describe(stored)) print(line);
}
