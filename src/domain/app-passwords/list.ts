import type { Queryable } from "../../store/db.js";
import type { AppPasswordView } from "./app-password.js";
import { selectAppPasswords } from "./store.js";

/** Every app password of the user with its device name and last use, never the password or its hash. */
export async function listAppPasswords(deps: { db: Queryable }, tenant: string, userId: string): Promise<AppPasswordView[]> {
  return selectAppPasswords(deps.db, tenant, userId);
}
