import type { Keyring } from "../../crypto/keyring.js";
import type { Queryable } from "../../store/db.js";
import { invalidArgument } from "../errors.js";
import type { AppPasswordView } from "./app-password.js";
import { decodeAppPasswordPageToken, encodeAppPasswordPageToken } from "./page-token.js";
import { selectAppPasswordPage, selectAppPasswords } from "./store.js";

/** Every app password of the user with its device name and last use, never the password or its hash. */
export async function listAppPasswords(deps: { db: Queryable }, tenant: string, userId: string): Promise<AppPasswordView[]> {
  return selectAppPasswords(deps.db, tenant, userId);
}

export const DEFAULT_APP_PASSWORD_PAGE_SIZE = 50;
export const MAX_APP_PASSWORD_PAGE_SIZE = 100;

export interface AppPasswordPage {
  appPasswords: AppPasswordView[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/**
 * One page of the user's app passwords, oldest first. Revoked ones stay in
 * the list for the record, so it grows without bound over the years; pages
 * keep each response well under the message size limit.
 */
export async function listAppPasswordPage(
  deps: { db: Queryable; keyring: Keyring },
  tenant: string,
  userId: string,
  page: { pageSize: number; pageToken: string },
): Promise<AppPasswordPage> {
  const size = page.pageSize === 0 ? DEFAULT_APP_PASSWORD_PAGE_SIZE : Math.min(page.pageSize, MAX_APP_PASSWORD_PAGE_SIZE);
  let after: { createdAt: Date; id: string } | undefined;
  if (page.pageToken !== "") {
    const cursor = decodeAppPasswordPageToken(deps.keyring, tenant, userId, page.pageToken);
    if (cursor === undefined) {
      throw invalidArgument([{ field: "page_token", description: "must be a next_page_token from a ListAppPasswords call for the same user" }]);
    }
    after = { createdAt: new Date(cursor.createdAtMs), id: cursor.id };
  }
  // One row more than the page tells whether another page follows.
  const rows = await selectAppPasswordPage(deps.db, tenant, userId, after, size + 1);
  const appPasswords = rows.slice(0, size);
  const last = appPasswords[appPasswords.length - 1];
  const nextPageToken =
    rows.length > size && last !== undefined
      ? encodeAppPasswordPageToken(deps.keyring, tenant, userId, { createdAtMs: last.createdAt.getTime(), id: last.id })
      : "";
  return { appPasswords, nextPageToken };
}
