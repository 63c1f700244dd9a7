import type { Queryable } from "../../store/db.js";
import { failedPrecondition } from "../errors.js";
import { factorFromRow, type FactorRow } from "../factors/factor-row.js";
import { findFactor, listActiveFactors } from "../factors/factor-store.js";
import type { LoginProvider } from "../login/provider.js";

/** TOTP or HOTP at Challenge: the user's active factors of that kind; one shape for both. */
export function otpLoginProvider(kind: "totp" | "hotp"): LoginProvider {
  return {
    name: kind,
    async options(deps, tenant, userId) {
      const rows = await listActiveFactors(deps.db, tenant, userId, kind);
      if (rows.length === 0) return undefined;
      return { provider: kind, factors: rows.map(factorFromRow), turnsOnSecondFactor: true };
    },
  };
}

/**
 * The factors an OTP proof is checked against, chosen the same way for TOTP
 * and HOTP: the named factor if it is one of the user's factors of `kind`, else
 * all their active ones. A named factor still pending confirmation is refused
 * (FACTOR_PENDING). Empty when nothing matches; the caller then spends the
 * same work on a dummy key.
 */
export async function otpCandidates(
  db: Queryable,
  tenant: string,
  userId: string,
  kind: "totp" | "hotp",
  factorId: string | undefined,
): Promise<FactorRow[]> {
  if (factorId === undefined) return listActiveFactors(db, tenant, userId, kind);
  const row = await findFactor(db, tenant, userId, factorId);
  // Ensure a named factor is one of the user's factors of this kind, and confirmed.
  if (row !== undefined && row.kind === kind && row.state === "pending") {
    throw failedPrecondition("the factor is pending confirmation", "FACTOR_PENDING");
  }
  return row !== undefined && row.kind === kind ? [row] : [];
}
