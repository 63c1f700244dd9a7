import type { Queryable } from "../../store/db.js";
import { throttleState } from "../throttle/index.js";

/** A user's login throttle as an administrator sees it. */
export interface ThrottleView {
  consecutiveFailures: number;
  lastFailureAt: Date | undefined;
  /** Undefined when the user may try now. */
  blockedUntil: Date | undefined;
}

/** The user's throttle (zeros when there is none); a wait that has passed reads as none. */
export async function throttleView(q: Queryable, tenant: string, userId: string, now: Date): Promise<ThrottleView> {
  const t = await throttleState({ db: q }, tenant, userId);
  const blocked = t.blockedUntil !== undefined && t.blockedUntil.getTime() > now.getTime();
  return { consecutiveFailures: t.failures, lastFailureAt: t.lastFailureAt, blockedUntil: blocked ? t.blockedUntil : undefined };
}
