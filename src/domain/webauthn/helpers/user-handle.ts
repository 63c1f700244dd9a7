import type { Queryable } from "../../../store/db.js";
import type { Random } from "../../random.js";

/** WebAuthn user handles are at most 64 bytes (§5.4.3); 32 random bytes name a user without revealing user_id. */
export const USER_HANDLE_BYTES = 32;

/**
 * The user's stable WebAuthn user handle (base64url), made on first use. The
 * insert-or-keep and the read are one statement pair that two concurrent
 * enrolments agree on: the first insert wins, both read it back.
 */
export async function userHandleFor(
  q: Queryable,
  deps: { random: Random },
  tenant: string,
  userId: string,
  now: Date,
): Promise<string> {
  const candidate = deps.random.bytes(USER_HANDLE_BYTES).toString("base64url");
  await q.query(
    `INSERT INTO webauthn_user_handles (tenant_id, user_id, user_handle, created_at)
     VALUES ($1::text, $2::text, $3::text, $4::timestamptz)
     ON CONFLICT (tenant_id, user_id) DO NOTHING`,
    [tenant, userId, candidate, now],
  );
  const stored = await storedUserHandle(q, tenant, userId);
  if (stored === undefined) throw new Error("user handle vanished after insert");
  return stored;
}

/** The user's handle, if they ever enrolled a WebAuthn credential. */
export async function storedUserHandle(q: Queryable, tenant: string, userId: string): Promise<string | undefined> {
  const result = await q.query<{ user_handle: string }>(
    `SELECT user_handle FROM webauthn_user_handles WHERE tenant_id = $1::text AND user_id = $2::text`,
    [tenant, userId],
  );
  return result.rows[0]?.user_handle;
}
