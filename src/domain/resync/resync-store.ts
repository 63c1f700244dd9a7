import type { Queryable } from "../../store/db.js";
import { FACTOR_COLUMNS, type FactorRow } from "../factors/factor-row.js";

/** Two consecutive codes found: the counter or step of each, and the drift they teach. */
export interface ResyncBurn {
  tenant: string;
  userId: string;
  id: string;
  /** The counter or step of code1; must be newer than anything accepted so far. */
  first: number;
  /** The counter or step of code2 (first + 1): becomes last_step, so both are burnt. */
  second: number;
  driftSteps: number;
}

/**
 * Re-aligns an active OTP factor on two consecutive codes: one conditional
 * UPDATE that only succeeds while `last_step < first`, so neither code's
 * counter or step can ever be accepted again, and two replicas resyncing on
 * the same pair yield one success. Clears the automatic-resync memory.
 */
export async function burnResyncPair(q: Queryable, b: ResyncBurn): Promise<FactorRow | undefined> {
  const result = await q.query<FactorRow>(
    `UPDATE factors SET last_step = $5::bigint, drift_steps = $6::integer, resync_step = NULL, resync_offset = NULL
     WHERE tenant_id = $1::text AND user_id = $2::text AND id = $3::uuid
       AND state = 'active' AND kind IN ('totp', 'hotp') AND last_step < $4::bigint
     RETURNING ${FACTOR_COLUMNS}`,
    [b.tenant, b.userId, b.id, b.first, b.second, b.driftSteps],
  );
  return result.rows[0];
}
