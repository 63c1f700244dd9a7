import type { AppDeps } from "../../app.js";
import { recordAudit } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { notFound } from "../errors.js";
import { deleteFactor } from "./factor-store.js";

/** Removes one of the user's factors, pending or active, with its sealed secret. */
export async function removeFactor(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  meta: RequestMeta,
  input: { userId: string; factorId: string },
): Promise<void> {
  const now = deps.clock.now();
  const row = await deleteFactor(deps.db, meta.caller.tenant, input.userId, input.factorId, now);
  if (row === undefined) throw notFound("factor");
  await recordAudit(deps, deps.db, meta, now, {
    kind: "factor.removed",
    userId: input.userId,
    factorId: row.id,
    details: { factor_kind: row.kind, state: row.state },
  });
}
