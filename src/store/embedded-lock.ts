import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** Folders this process holds; a pid file naming our own pid is otherwise stale (a restarted container is pid 1 again). */
const held = new Set<string>();

/**
 * PGlite has no postmaster to keep a second process out of its data folder,
 * and two processes writing one folder corrupt it. A pid file does that job:
 * `twofold api-keys …` while `twofold serve` runs on the embedded database
 * fails with a clear message instead.
 */
export function lockEmbeddedDir(dataDir: string): () => void {
  const path = resolve(join(dataDir, "embedded.lock"));
  if (held.has(path)) throw new Error(`the embedded database in ${dataDir} is already open in this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
      held.add(path);
      return () => {
        held.delete(path);
        rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(
          `the embedded database in ${dataDir} is in use by process ${pid}; stop it first, or use a Postgres server (DATABASE_URL)`,
        );
      }
      // Left behind by a process that died: take it over.
      rmSync(path, { force: true });
    }
  }
  throw new Error(`cannot lock the embedded database in ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
