import type { Logger } from "pino";
import type { AppDeps } from "../app.js";
import type { Config } from "../config/config.js";
import { cachedApiKeyAuthenticator, createApiKey, noApiKeysExist } from "../domain/api-keys/index.js";
import { openTenantSettingsCache, startTransactionSweeper } from "../domain/login/index.js";
import { metrics, startMetricsServer } from "../metrics/index.js";
import { createServices } from "../rpc/services.js";
import { startServer } from "../server/server.js";
import { openPlatform } from "./boot.js";

/** The tenant of the development admin key made on the first embedded start. */
export const DEV_TENANT = "default";

/**
 * With the embedded database and no API key at all, a first `npm start` would
 * leave nobody able to call the service: create an admin key for tenant
 * `default` and print it once. Never against a real Postgres server.
 */
async function devAdminKey(deps: AppDeps): Promise<void> {
  if (deps.config.databaseUrl !== undefined || !(await noApiKeysExist(deps))) return;
  const created = await createApiKey(deps, { tenant: DEV_TENANT, role: "admin", name: "development (created on first start)" });
  deps.logger.warn(
    { tenant: DEV_TENANT, apiKeyId: created.apiKey.id },
    "created a development admin API key (printed once on stdout); not for production",
  );
  process.stdout.write(
    [
      "",
      "==== twofold development convenience ===========================",
      `The embedded database had no API key, so an admin key for tenant "${DEV_TENANT}"`,
      "was created. It is shown only this once; send it as",
      "  authorization: Bearer <key>",
      created.token,
      "=================================================================",
      "",
    ].join("\n"),
  );
}

/**
 * `twofold serve`: load → log → open → migrate → keyring → (dev key) →
 * services → listen; SIGINT/SIGTERM drain in-flight calls, then close the
 * database. A second signal exits at once.
 */
export async function serve(config: Config, logger: Logger, env: Record<string, string | undefined>): Promise<void> {
  const { deps } = await openPlatform(config, logger, env);
  try {
    await devAdminKey(deps);
    // Verified keys are cached; revocations reach every replica through LISTEN/NOTIFY.
    const keys = await cachedApiKeyAuthenticator(deps, { onLookup: (outcome) => metrics.apiKeyCache(outcome) });
    // The tenants' login settings, kept the same way: a Challenge reads only the user's rows.
    const tenantSettings = await openTenantSettingsCache(deps);
    const metricsServer = config.metricsAddr === undefined ? undefined : await startMetricsServer(metrics, config.metricsAddr, logger);
    if (metricsServer !== undefined) logger.info({ url: metricsServer.url }, "serving metrics");
    const server = await startServer({
      config: deps.config,
      logger,
      services: createServices(deps, { tenantSettings }),
      authenticate: keys.authenticate,
      ready: () => deps.db.ping(),
    });
    logger.info({ url: server.url, database: deps.db.kind }, "twofold serving");
    // Expired login transactions are deleted an hour after they expire (every replica sweeps).
    const sweeper = startTransactionSweeper(deps);
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        logger.warn({ signal }, "second signal: exiting now");
        logger.flush(() => process.exit(1));
        return;
      }
      stopping = true;
      logger.info({ signal }, "stopping: draining in-flight calls");
      void server
        .close()
        .then(() => sweeper.stop())
        .then(() => keys.close())
        .then(() => tenantSettings.close())
        .then(() => metricsServer?.close())
        .then(() => deps.db.close())
        .then(
          () => {
            logger.info("stopped");
            logger.flush(() => process.exit(0));
          },
          (err: unknown) => {
            logger.error({ err }, "error while stopping");
            logger.flush(() => process.exit(1));
          },
        );
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  } catch (err) {
    await deps.db.close();
    throw err;
  }
}
