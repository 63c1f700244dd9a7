import pg from "pg";

/**
 * A fresh, empty Postgres database for one test file.
 *
 * With DATABASE_URL set (CI here, and any machine with a server) a database
 * named tf_test_<random> is created on that server and dropped afterwards.
 * Without it, testcontainers starts a Postgres container on machines that have
 * Docker. With CI=true a suite that cannot reach its database fails; it never
 * skips.
 */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

let containerUrl: Promise<string> | undefined;

async function serverUrl(): Promise<string> {
  const fromEnv = process.env["DATABASE_URL"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  containerUrl ??= (async () => {
    const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
    const container = await new PostgreSqlContainer("postgres:16-alpine").start();
    return container.getConnectionUri();
  })();
  try {
    return await containerUrl;
  } catch (cause) {
    throw new Error(
      "no test database: set DATABASE_URL to a Postgres server, or run Docker for testcontainers",
      { cause },
    );
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const base = await serverUrl();
  const name = `tf_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
