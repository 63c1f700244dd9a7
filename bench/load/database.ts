/**
 * A database of the load run's own on the server DATABASE_URL names:
 * created empty at the start, dropped at the end, so a run never meets
 * another run's users and leaves nothing behind.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

/** A created database and how to get rid of it. */
export interface FreshDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates `twofold_bench_<time>_<random>` on the server of `serverUrl`. */
export async function createFreshDatabase(serverUrl: string): Promise<FreshDatabase> {
  const name = `twofold_bench_${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}_${randomBytes(3).toString("hex")}`;
  await onServer(serverUrl, `CREATE DATABASE ${name}`);
  return {
    name,
    url: urlWithDatabase(serverUrl, name),
    drop: () => onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * `url` naming database `name` instead. Text, not `new URL`: a libpq-style
 * URL with no host before the path (`postgres://user@/db?host=/var/run/postgresql`,
 * a Unix socket) is no WHATWG URL, yet pg accepts it.
 */
export function urlWithDatabase(url: string, name: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)(\/[^?#]*)?([?#].*)?$/i.exec(url);
  if (m === null) throw new Error("DATABASE_URL is not a postgres:// URL");
  return `${m[1] ?? ""}/${name}${m[3] ?? ""}`;
}
