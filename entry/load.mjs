/**
 * How the package's entry points (the `twofold` and `twofold-emulator` bins,
 * and `twofold/client`) find their code with no build step.
 *
 * A checkout after `npm ci` has the TypeScript source and tsx (a dev
 * dependency): it runs the source, so what runs is always what is in the
 * tree, never a stale dist/. An install without dev dependencies (the
 * container image, `npm ci --omit=dev`) has no tsx and no source, only dist/
 * from `npm run build`: it runs that. `npm ci` itself builds nothing, so it
 * costs no compile time, and the production install needs no TypeScript.
 */
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = new URL("../", import.meta.url);

/** tsx's loader API, or undefined when dev dependencies are not installed. */
async function tsx() {
  try {
    return await import("tsx/esm/api");
  } catch {
    return undefined;
  }
}

/** The file to run: the source through tsx when both are here, else the build. */
async function pick(source, built) {
  const sourceUrl = new URL(source, root);
  const builtUrl = new URL(built, root);
  const api = existsSync(sourceUrl) ? await tsx() : undefined;
  if (api !== undefined) return { url: sourceUrl, api };
  if (existsSync(builtUrl)) return { url: builtUrl, api: undefined };
  throw new Error(`twofold: neither ${source} with tsx (run npm ci) nor ${built} (run npm run build) is present`);
}

/**
 * Runs a command's module as if node had been started on it: tsx is
 * registered for the whole process (it is the command's own process), and
 * argv[1] names the module, which is how a module tells it is the entry point.
 */
export async function runCommand(source, built) {
  let target;
  try {
    target = await pick(source, built);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  target.api?.register();
  process.argv[1] = fileURLToPath(target.url);
  await import(target.url.href);
}

/**
 * Loads a library module for a caller's process: tsImport keeps tsx's hooks
 * scoped to this module's own imports, so the caller's loader is untouched.
 */
export async function loadLibrary(source, built) {
  const target = await pick(source, built);
  if (target.api === undefined) return import(target.url.href);
  return target.api.tsImport(target.url.href, pathToFileURL(fileURLToPath(import.meta.url)).href);
}
