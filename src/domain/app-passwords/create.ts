import type { AppDeps } from "../../app.js";
import { writeAudit } from "../backup-codes/audit.js";
import { groupSymbols, randomCrockford } from "../backup-codes/crockford.js";
import type { RequestMeta } from "../caller.js";
import { failedPrecondition } from "../errors.js";
import type { AppPasswordView } from "./app-password.js";
import { APP_PASSWORD_GROUP, APP_PASSWORD_HASH_PURPOSE, APP_PASSWORD_SYMBOLS, MAX_LIVE_APP_PASSWORDS } from "./rules.js";
import { countLive, insertAppPassword, lockUserForCreate } from "./store.js";

/** A validated request for a new app password (see rules.ts for the checks). */
export interface CreateAppPasswordInput {
  userId: string;
  name: string;
  /** 1..16 well-formed scope names; duplicates are dropped here. */
  scopes: readonly string[];
  /** Lifetime in milliseconds; undefined means it never expires. */
  ttlMs: number | undefined;
}

export interface CreatedAppPassword {
  appPassword: AppPasswordView;
  /** Shown to the user once as xxxxx-xxxxx-xxxxx-xxxxx-xxxxx; only its keyed hash is stored. */
  password: string;
}

/**
 * Issues an app password. The live-count check and the insert run in one
 * transaction under a per-user lock, so concurrent creations cannot push a
 * user past 100 live app passwords (FAILED_PRECONDITION beyond that).
 */
export async function createAppPassword(
  deps: Pick<AppDeps, "db" | "keyring" | "clock" | "random" | "logger">,
  meta: RequestMeta,
  input: CreateAppPasswordInput,
): Promise<CreatedAppPassword> {
  const tenant = meta.caller.tenant;
  const now = deps.clock.now();
  const symbols = randomCrockford(deps.random, APP_PASSWORD_SYMBOLS);
  const row = {
    id: deps.random.uuid(),
    name: input.name,
    scopes: [...new Set(input.scopes)],
    hash: deps.keyring.keyedHash(APP_PASSWORD_HASH_PURPOSE, symbols),
    createdAt: now,
    expiresAt: input.ttlMs === undefined ? undefined : new Date(now.getTime() + input.ttlMs),
  };

  const appPassword = await deps.db.transaction(async (tx) => {
    await lockUserForCreate(tx, tenant, input.userId);
    // Ensure the user stays within the limit of live app passwords.
    if ((await countLive(tx, tenant, input.userId, now)) >= MAX_LIVE_APP_PASSWORDS) {
      throw failedPrecondition(`a user may hold at most ${MAX_LIVE_APP_PASSWORDS} live app passwords`, "APP_PASSWORD_LIMIT");
    }
    const inserted = await insertAppPassword(tx, tenant, input.userId, row);
    await writeAudit(deps, tx, meta, now, {
      userId: input.userId,
      kind: "app_password.created",
      factorId: inserted.id,
      details: { scopes: inserted.scopes.join(" "), expires: inserted.expiresAt !== undefined },
    });
    return inserted;
  });
  return { appPassword, password: groupSymbols(symbols, APP_PASSWORD_GROUP) };
}
