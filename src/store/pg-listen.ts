import pg from "pg";
import type { ListenHandlers } from "./db.js";

/** Waits before a reconnection attempt, doubling from the first to the last. */
const RETRY_MS = [100, 200, 400, 800, 1_000];

/** Postgres identifiers we listen on are our own constants; refuse anything that would need quoting. */
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * LISTEN on a connection of its own (a pooled one would drop the
 * subscription when released), reconnecting with a short backoff whenever
 * the connection ends: a failover, a restart or pg_terminate_backend. The
 * handlers hear down() as soon as the connection is lost and up() once it
 * listens again, so a cache fed by the channel can stop trusting itself for
 * exactly the time notifications may have been missed.
 */
export async function pgListen(url: string, channel: string, handlers: ListenHandlers): Promise<{ close(): Promise<void> }> {
  if (!CHANNEL.test(channel)) throw new Error(`bad channel name ${channel}`);
  let closed = false;
  let client: pg.Client | undefined;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let first: (() => void) | undefined;
  const started = new Promise<void>((resolve) => (first = resolve));

  const settleFirst = (): void => {
    first?.();
    first = undefined;
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ connectionString: url, application_name: "twofold-listen" });
    client = c;
    let lost = false;
    const onLost = (): void => {
      if (lost) return;
      lost = true;
      handlers.down();
      settleFirst();
      c.end().catch(() => undefined);
      if (!closed) {
        const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)] ?? 1_000;
        attempt++;
        timer = setTimeout(() => void connect(), wait);
        timer.unref();
      }
    };
    c.on("error", onLost);
    c.on("end", onLost);
    c.on("notification", (n) => {
      if (n.channel === channel) handlers.message(n.payload ?? "");
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      if (closed) {
        await c.end();
        return;
      }
      attempt = 0;
      handlers.up();
      settleFirst();
    } catch {
      onLost();
    }
  };

  void connect();
  await started;
  return {
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
