import type { Logger } from "pino";
import type { Config } from "./config/config.js";
import type { Keyring } from "./crypto/keyring.js";
import type { Clock } from "./domain/clock.js";
import type { Random } from "./domain/random.js";
import type { CallDeadline } from "./store/call-deadline.js";
import type { Db } from "./store/db.js";

/** Everything domain and rpc code needs, passed down explicitly. */
export interface AppDeps {
  config: Config;
  db: Db;
  keyring: Keyring;
  clock: Clock;
  random: Random;
  logger: Logger;
}

export type { CallDeadline } from "./store/call-deadline.js";

/**
 * `deps` as one call sees them: its database honours the call's deadline
 * (Db.during). The transport makes the deadline; outside any call (CLI,
 * sweeps, start-up) deps are used as they are.
 */
export function duringCall<D extends Pick<AppDeps, "db">>(deps: D, deadline: CallDeadline | undefined): D {
  return deadline === undefined ? deps : { ...deps, db: deps.db.during(deadline) };
}
