import type { AppDeps } from "../../app.js";
import { recordAudit } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { throttleSuccess } from "../throttle/index.js";
import { selectThrottle } from "./throttle-state.js";
import { assertUserId } from "./user-id.js";

/**
 * Lets a throttled user try again at once (an admin who has confirmed the
 * user's identity). Throttling never locks out for good, so this is a
 * convenience, not a way out of a lockout. Audited with the failures it forgot.
 */
export async function clearThrottle(deps: Pick<AppDeps, "db" | "clock" | "logger">, meta: RequestMeta, userId: string): Promise<void> {
  assertUserId(userId);
  const at = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const before = await selectThrottle(tx, meta.caller.tenant, userId, at);
    // Forgetting the failures is exactly what a successful login does.
    await throttleSuccess({ db: tx }, meta.caller.tenant, userId);
    await recordAudit(deps, tx, meta, at, {
      userId,
      kind: "admin.throttle_cleared",
      details: { failures: before.consecutiveFailures },
    });
  });
}
