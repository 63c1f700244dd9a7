import type { AppDeps } from "../../app.js";
import { recordAudit } from "../audit/index.js";
import type { RequestMeta } from "../caller.js";
import { notFound } from "../errors.js";
import type { Factor } from "./factor.js";
import { factorFromRow } from "./factor-row.js";
import { updateFactorLabel } from "./factor-store.js";

/** Gives a factor a new label (validated upstream: 1–64 characters, no control characters). */
export async function renameFactor(
  deps: Pick<AppDeps, "db" | "clock" | "logger">,
  meta: RequestMeta,
  input: { userId: string; factorId: string; label: string },
): Promise<Factor> {
  const now = deps.clock.now();
  const row = await updateFactorLabel(deps.db, meta.caller.tenant, input.userId, input.factorId, input.label, now);
  if (row === undefined) throw notFound("factor");
  await recordAudit(deps, deps.db, meta, now, { kind: "factor.renamed", userId: input.userId, factorId: row.id });
  return factorFromRow(row);
}
