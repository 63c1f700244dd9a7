/**
 * Builds the repository's Dockerfile without a Docker engine and runs the
 * image against Postgres, as CI does (`npm run image:check`):
 *
 *   1. a local node:20-bookworm-slim (base-image.ts), made once per store;
 *   2. `buildah bud` of the unchanged Dockerfile (vfs, chroot isolation);
 *   3. the image runs `migrate`, `api-keys create` and `serve` against a
 *      database of its own on DATABASE_URL's server;
 *   4. checks: health SERVING over twofold/client, an authenticated call,
 *      the serving process and the image's user are not root, and the
 *      image's size is printed.
 *
 * Exit status 0 when every check holds. TWOFOLD_IMAGE_STORE moves the
 * buildah store (default /var/tmp/twofold-buildah, kept between runs).
 */
import { randomBytes } from "node:crypto";
import { readdir, readFile, readlink } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { createTwofoldClient, HealthCheckResponse_ServingStatus } from "../../../src/client/index.js";
import { BASE_IMAGE, ensureBaseImage } from "./base-image.js";
import { Buildah } from "./buildah.js";

const IMAGE = "localhost/twofold:ci";
const store = process.env["TWOFOLD_IMAGE_STORE"] ?? "/var/tmp/twofold-buildah";
const started = performance.now();
const log = (line: string): void => {
  process.stdout.write(`image: [${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
};
const checks: [string, boolean, string][] = [];
const check = (name: string, ok: boolean, detail: string): void => {
  checks.push([name, ok, detail]);
  log(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
};

async function main(): Promise<number> {
  const serverUrl = process.env["DATABASE_URL"];
  if (serverUrl === undefined || serverUrl === "") throw new Error("DATABASE_URL must name a Postgres server this check may create a database on");
  const buildah = new Buildah(store);

  const made = await ensureBaseImage(buildah, log);
  log(made ? "base image made" : "base image reused from the store");

  log("building the Dockerfile");
  const bud = buildah.spawn(["bud", "--isolation", "chroot", "--pull-never", "--format", "docker", "--quiet", "-t", IMAGE, "-f", "Dockerfile", "."]);
  let budErr = "";
  bud.stderr?.on("data", (c: Buffer) => (budErr += c.toString("utf8")));
  bud.stdout?.resume();
  const budCode = await new Promise<number | null>((resolve) => bud.on("exit", resolve));
  if (budCode !== 0) throw new Error(`buildah bud failed (${budCode}): ${budErr.trim().split("\n").slice(-10).join("\n")}`);
  log("built");
  // The previous run's image is now untagged: drop it, keep the base.
  await buildah.run(["rmi", "--prune"]).catch(() => undefined);

  const inspected = JSON.parse(await buildah.run(["inspect", "--type", "image", IMAGE])) as {
    Docker: { config: { User?: string; Cmd?: string[]; Healthcheck?: { Test?: string[] } } };
    Manifest: string;
  };
  const config = inspected.Docker.config;
  check("image user", config.User === "node", `USER ${config.User ?? "(none)"}`);
  check("image command", JSON.stringify(config.Cmd) === JSON.stringify(["node", "dist/src/cli/main.js", "serve"]), (config.Cmd ?? []).join(" "));
  check("image health check", config.Healthcheck?.Test?.some((t) => t.includes("grpc.health.v1.Health/Check")) === true, "HEALTHCHECK calls grpc.health.v1.Health/Check");
  const layers = (JSON.parse(inspected.Manifest) as { layers: { size: number }[] }).layers;
  const bytes = layers.reduce((n, l) => n + l.size, 0);
  const base = (JSON.parse(await buildah.run(["images", "--json", BASE_IMAGE])) as { size?: string }[])[0]?.size ?? "?";
  check("image size", bytes > 0, `${(bytes / 1e6).toFixed(0)} MB in ${layers.length} layers, uncompressed (the base alone: ${base})`);

  // A database of the image's own, dropped at the end.
  const dbName = `twofold_image_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(serverUrl);
  dbUrl.pathname = `/${dbName}`;
  const env = {
    DATABASE_URL: dbUrl.toString(),
    TWOFOLD_KEYS: `image1:${randomBytes(32).toString("base64")}`,
    TWOFOLD_PEPPER: randomBytes(32).toString("base64"),
    TWOFOLD_ADDR: "127.0.0.1:0",
  };
  const envArgs = Object.entries(env).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
  const ctr = `twofold-image-check-${process.pid}`;
  await buildah.run(["from", "--pull-never", "--name", ctr, IMAGE]);
  try {
    const uid = (await buildah.run(["run", "--isolation", "chroot", ctr, "--", "id", "-u"])).trim();
    check("container user", uid !== "0", `id -u says ${uid}`);
    const migrated = await buildah.run(["run", "--isolation", "chroot", ...envArgs, ctr, "--", "node", "dist/src/cli/main.js", "migrate"]);
    check("migrate (the migration Job's command)", /applied: /.test(migrated), migrated.trim());
    const created = await buildah.run(["run", "--isolation", "chroot", ...envArgs, ctr, "--", "node", "dist/src/cli/main.js", "api-keys", "create", "--tenant", "image", "--role", "service"]);
    const key = created.trim().split("\n").at(-1) ?? "";
    check("api-keys create", /^tf_[0-9a-f]{16}_/.test(key), "a key on the last line of stdout");

    const serve = buildah.spawn(["run", "--isolation", "chroot", ...envArgs, ctr, "--", "node", "dist/src/cli/main.js", "serve"]);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s: ${out}`)), 60_000);
        serve.stdout?.on("data", (c: Buffer) => {
          out += c.toString("utf8");
          for (const line of out.split("\n")) {
            if (!line.startsWith("{")) continue;
            const entry = JSON.parse(line) as { msg?: string; url?: string };
            if (entry.msg === "twofold serving" && entry.url !== undefined) {
              clearTimeout(timer);
              resolve(entry.url);
            }
          }
        });
        serve.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
      });
      const client = createTwofoldClient({ baseUrl: url, apiKey: key, protocol: "grpc" });
      try {
        const health = await client.health.check({});
        check("health", health.status === HealthCheckResponse_ServingStatus.SERVING, `grpc.health.v1.Health/Check says ${HealthCheckResponse_ServingStatus[health.status]}`);
        const factors = await client.enrolment.listFactors({ userId: "image-user" });
        check("an authenticated call", factors.factors.length === 0, "ListFactors over gRPC with the new key");
      } finally {
        client.close();
      }
      const uids = await chrootedServeUids();
      check("serving process user", uids.length > 0 && uids.every((u) => u !== 0), `uid ${uids.join(", ")} (from /proc)`);
    } finally {
      await stopServe(serve);
    }
    const left = await chrootedServeUids();
    check("stops on SIGTERM", left.length === 0, left.length === 0 ? "no serve process left" : `${left.length} still running`);
  } finally {
    await buildah.run(["rm", ctr]).catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
  const failed = checks.filter(([, ok]) => !ok);
  log(failed.length === 0 ? `all ${checks.length} checks passed` : `${failed.length} of ${checks.length} checks failed`);
  return failed.length === 0 ? 0 : 1;
}

/** Real uids of `serve` processes running in the container (buildah's chroot isolation leaves them visible in /proc). */
async function chrootedServeUids(): Promise<number[]> {
  const uids: number[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
      if (!/(^|\/)node$/.test(cmdline[0] ?? "") || cmdline[1] !== "dist/src/cli/main.js" || cmdline[2] !== "serve") continue;
      // Chrooted into the container's rootfs; a serve started on the host has the host's root.
      if ((await readlink(`/proc/${pid}/root`)) === "/") continue;
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      if (uid !== undefined) uids.push(Number(uid));
    } catch {
      // The process ended while we looked.
    }
  }
  return uids;
}

/** SIGTERM to buildah run, which passes it to the container's process; SIGKILL after 15 s. */
async function stopServe(serve: ReturnType<Buildah["spawn"]>): Promise<void> {
  if (serve.exitCode !== null || serve.signalCode !== null) return;
  const exited = new Promise((resolve) => serve.on("exit", resolve));
  serve.kill("SIGTERM");
  const timer = setTimeout(() => serve.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

main().then(
  (code) => {
    log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    process.exitCode = code;
  },
  (err: unknown) => {
    log(`FAIL ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
