import { readFile } from "node:fs/promises";
import type { AppDeps } from "../app.js";
import { certificatesFromFile, FIDO_MDS_ROOT_PEM, importMdsBlob, MAX_MDS_BLOB_BYTES } from "../domain/webauthn/metadata/index.js";
import type { Print } from "./api-keys.js";
import { UsageError } from "./boot.js";

/** The flags `mds import` reads, as parseArgs returns them. */
export interface MdsArgs {
  root?: string | undefined;
}

/** A checked `mds import` command line, with both files already read. */
export interface MdsImportCommand {
  file: string;
  source: string;
  /** DER roots the blob's chain must end at. */
  roots: Uint8Array[];
  /** The root file named, or "" for the embedded FIDO Alliance MDS root. */
  rootFile: string;
}

async function readLimited(file: string, limit: number, what: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  if (bytes.length > limit) throw new UsageError(`${file} is too large for ${what}`);
  return bytes;
}

/**
 * Checks `twofold mds import FILE [--root FILE]` and reads the files before
 * the database is opened. The root file holds PEM certificates or one DER
 * certificate; without it, the FIDO Alliance MDS root built into twofold.
 */
export async function parseMdsCommand(action: string | undefined, file: string | undefined, args: MdsArgs): Promise<MdsImportCommand> {
  if (action !== "import") throw new UsageError("mds needs: import FILE [--root FILE]");
  if (file === undefined || file === "") throw new UsageError("mds import needs a FILE (the MDS3 blob, a JWT)");
  const source = (await readLimited(file, MAX_MDS_BLOB_BYTES, "an MDS blob")).toString("utf8");
  const rootFile = args.root ?? "";
  if (args.root === "") throw new UsageError("--root needs a FILE");
  const rootBytes = rootFile === "" ? Buffer.from(FIDO_MDS_ROOT_PEM) : await readLimited(rootFile, 1024 * 1024, "a root certificate");
  const roots = certificatesFromFile(rootBytes);
  if (roots.length === 0) throw new UsageError(`${rootFile} holds no certificate`);
  return { file, source, roots, rootFile };
}

/**
 * `twofold mds import`: verifies an MDS3 blob the operator downloaded and
 * replaces the stored entries with its own, or refuses it with the reason
 * and nothing written (MdsError, exit 1).
 */
export async function runMdsImportCommand(deps: AppDeps, cmd: MdsImportCommand, print: Print): Promise<void> {
  const s = await importMdsBlob(deps, { source: cmd.source, roots: cmd.roots });
  print(`verified MDS blob no=${s.serial} next_update=${s.nextUpdate} signed by ${JSON.stringify(s.signer)}`);
  if (s.nextUpdate < deps.clock.now().toISOString().slice(0, 10)) {
    print(`warning: the blob's nextUpdate ${s.nextUpdate} has passed; a newer blob is published`);
  }
  print(
    s.unchanged
      ? `blob no=${s.serial} is imported already; nothing changed`
      : `imported ${s.entries} FIDO2 entries (${s.skipped} unreadable skipped, ${s.ignored} non-FIDO2 ignored)`,
  );
}
