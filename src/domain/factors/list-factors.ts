import type { AppDeps } from "../../app.js";
import type { Factor } from "./factor.js";
import { factorFromRow } from "./row.js";
import { listLiveFactors } from "./store.js";

/** The user's factors, pending ones included (marked by state); lapsed enrolments are left out. */
export async function listFactors(deps: Pick<AppDeps, "db" | "clock">, tenant: string, userId: string): Promise<Factor[]> {
  const rows = await listLiveFactors(deps.db, tenant, userId, deps.clock.now());
  return rows.map(factorFromRow);
}
