import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);

/**
 * buildah with no daemon and no privileges beyond a root chroot: the vfs
 * storage driver (no overlay mounts needed), chroot isolation (no OCI
 * runtime), and a store of our own that persists on this machine, so the
 * base image is made once and reused by every later run.
 */
export class Buildah {
  readonly #storage: string[];

  constructor(store: string) {
    this.#storage = ["--storage-driver", "vfs", "--root", `${store}/storage`, "--runroot", `${store}/run`];
  }

  /** Runs `buildah <args>` and returns its standard output; throws with its standard error on failure. */
  async run(args: string[], options: { maxBufferMb?: number } = {}): Promise<string> {
    try {
      const { stdout } = await exec("buildah", [...this.#storage, ...args], { maxBuffer: (options.maxBufferMb ?? 16) * 1024 * 1024 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`buildah ${args.slice(0, 2).join(" ")} failed: ${(e.stderr ?? e.message).trim().split("\n").slice(-5).join("\n")}`);
    }
  }

  /** Starts `buildah <args>` as a child with its output piped (a long build, a served container). */
  spawn(args: string[]): ChildProcess {
    return spawn("buildah", [...this.#storage, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  }

  /** A label of a local image, or undefined when the image is absent. */
  async imageLabel(image: string, label: string): Promise<string | undefined> {
    try {
      const out = await this.run(["inspect", "--type", "image", "--format", `{{index .Docker.Config.Labels "${label}"}}`, image]);
      const value = out.trim();
      return value === "" || value === "<no value>" ? undefined : value;
    } catch {
      return undefined;
    }
  }
}
