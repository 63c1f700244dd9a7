import type { Logger } from "pino";
import type { Config } from "./config/config.js";
import type { Keyring } from "./crypto/keyring.js";
import type { Clock } from "./domain/clock.js";
import type { Random } from "./domain/random.js";
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
