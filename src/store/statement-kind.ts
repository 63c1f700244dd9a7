/** Statements that never change data, by their first keyword. */
const readOnlyStart = /^\s*(?:select|values|show|table)\b/i;
const withStart = /^\s*with\b/i;
/** A data-modifying CTE (Postgres: "WITH x AS (UPDATE … RETURNING …)"). */
const modifying = /\b(?:insert|update|delete|merge)\b/i;

/**
 * Whether a statement run on its own (autocommit) may commit a change. The
 * deadline rule needs it: a read may start or be cancelled freely, but a
 * statement that can commit counts as a commit, so it is refused once the
 * deadline has passed and the transport waits for its outcome. In doubt the
 * answer is true, which only makes the call wait for its real result.
 */
export function isWriteStatement(sql: string): boolean {
  if (readOnlyStart.test(sql)) return false;
  if (withStart.test(sql)) return modifying.test(sql);
  return true;
}
