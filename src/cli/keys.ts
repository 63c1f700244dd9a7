import { randomBytes } from "node:crypto";
import type { AppDeps } from "../app.js";
import { rotateFactorSecrets } from "../domain/factors/index.js";
import type { Print } from "./api-keys.js";

/** A fresh keyring entry for TWOFOLD_KEYS: put it first, keep the old ones after it until rotated. */
export function generateKeyLine(now: Date, id?: string): string {
  const keyId = id ?? `k${now.toISOString().slice(0, 10).replace(/-/g, "")}${randomBytes(2).toString("hex")}`;
  return `${keyId}:${randomBytes(32).toString("base64")}`;
}

/** `twofold keys rotate`: re-seals every factor secret under the newest key; prints counts only. */
export async function rotateCommand(deps: AppDeps, print: Print): Promise<boolean> {
  const r = await rotateFactorSecrets(deps.db, deps.keyring);
  print(`newest key: ${deps.keyring.currentKeyId}`);
  print(`re-sealed: ${r.rotated}; already current: ${r.current}; changed meanwhile: ${r.raced}; failed to open: ${r.failed}`);
  if (r.raced > 0) print("rows changed meanwhile were re-written by the service under the newest key; run rotate again to confirm");
  if (r.failed > 0) print("some secrets did not open: keep every key that may have sealed them in TWOFOLD_KEYS");
  return r.failed === 0;
}
