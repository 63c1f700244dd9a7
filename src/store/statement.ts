import { createHash } from "node:crypto";
import type { Queryable, QueryResult } from "./db.js";

/** The Postgres types parameters are cast to: every placeholder states its type, so plans never guess. */
export type SqlType =
  | "text"
  | "uuid"
  | "timestamptz"
  | "bigint"
  | "integer"
  | "smallint"
  | "boolean"
  | "bytea"
  | "jsonb"
  | "text[]"
  | "uuid[]"
  | "bigint[]"
  | "integer[]"
  | "bytea[]";

/**
 * One SQL statement built from parts, so a whole step of a call (claim the
 * attempt, admit it past the throttle, load the candidates; or burn, spend,
 * reset and audit) is one round trip, while the SQL on each table stays in
 * that table's store: a store exports functions that add their part
 * (a CTE body, a select list entry) to a Statement, and the flow that needs
 * the step composes them.
 *
 * Parameters are numbered as they are added; `named` ones (tenant, user,
 * now) are sent once however many parts use them.
 */
export class Statement {
  readonly values: unknown[] = [];
  readonly #named = new Map<string, { value: unknown; type: SqlType; placeholder?: string }>();
  readonly #ctes: string[] = [];

  /** A placeholder for `value`, cast to `type`. */
  param(value: unknown, type: SqlType): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }

  /**
   * Gives a value every part of the statement may share (tenant, user, now),
   * without sending it yet: it gets a placeholder only when a part refers to
   * it, since Postgres refuses a parameter the text never uses. Giving the
   * same name another value is a bug in the composition.
   */
  define(name: string, value: unknown, type: SqlType): this {
    const known = this.#named.get(name);
    if (known !== undefined) {
      if (!sameValue(known.value, value) || known.type !== type) throw new Error(`statement parameter ${name} given two values`);
      return this;
    }
    this.#named.set(name, { value, type });
    return this;
  }

  /** define, then ref: the shared value's placeholder. */
  named(name: string, value: unknown, type: SqlType): string {
    return this.define(name, value, type).ref(name);
  }

  /** The placeholder of a shared value given earlier (a part that needs it but does not know it). */
  ref(name: string): string {
    const known = this.#named.get(name);
    if (known === undefined) throw new Error(`statement parameter ${name} used before it was given`);
    known.placeholder ??= this.param(known.value, known.type);
    return known.placeholder;
  }

  /** Adds `name AS (body)` to the statement's WITH list; later parts may read it by name. */
  with(name: string, body: string): this {
    this.#ctes.push(`${name} AS (${body})`);
    return this;
  }

  /** The full text: the WITH list, then `main`. */
  text(main: string): string {
    return this.#ctes.length === 0 ? main : `WITH ${this.#ctes.join(",\n")}\n${main}`;
  }

  /**
   * Runs the statement with `main` as its final query. Prepared (named after
   * a hash of its text) so each connection plans a shape once: hot-path
   * statements have a handful of shapes, each parsed and planned once per
   * connection instead of on every call.
   */
  run<R>(q: Queryable, main: string): Promise<QueryResult<R>> {
    const shape = preparedShape(this.text(main));
    return q.query<R>(shape.text, this.values, { name: shape.name });
  }
}

/**
 * A select-list entry that lets the statement's commit return before its
 * WAL is flushed (`synchronous_commit` off for its own transaction only),
 * unless `durableWhen` (SQL that may read the statement's parts) holds: then
 * the connection's own setting stands. For a statement whose writes nothing
 * depends on until a later statement commits durably, since that commit
 * flushes them too (docs/design.md "Database round trips").
 */
export function asyncCommitColumn(durableWhen?: string): string {
  const setting = durableWhen === undefined ? "'off'" : `CASE WHEN ${durableWhen} THEN current_setting('synchronous_commit') ELSE 'off' END`;
  return `set_config('synchronous_commit', ${setting}, true) AS h_async_commit`;
}

/**
 * ` AND (when)` for a part whose write must also wait on a condition of the
 * statement it is composed into (a gate earlier parts computed), or nothing.
 */
export function andWhen(when: string | undefined): string {
  return when === undefined ? "" : ` AND (${when})`;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}

/** A statement text and the name it is prepared under. */
interface PreparedShape {
  readonly text: string;
  readonly name: string;
}

// Shapes already named, by text length. A hot-path statement's text is built
// afresh on every call (2–5 KB): looking it up in a Map keyed by the text made
// V8 hash every character each time (about 7 µs for a Verify's), while
// comparing it with the few known texts of its length is a memory compare.
// The known text is what is sent, so pg's own check that a name keeps its
// text compares one string with itself.
const shapesByLength = new Map<number, PreparedShape[]>();
let shapes = 0;
const MAX_SHAPES = 1_000;

/** The name for a statement's text (a hash of it: Postgres names are at most 63 bytes), with the text first seen. */
function preparedShape(text: string): PreparedShape {
  const sameLength = shapesByLength.get(text.length);
  if (sameLength !== undefined) {
    for (const shape of sameLength) if (shape.text === text) return shape;
  }
  const shape = { text, name: `tf_${createHash("sha256").update(text).digest("hex").slice(0, 24)}` };
  if (shapes < MAX_SHAPES) {
    shapes++;
    if (sameLength === undefined) shapesByLength.set(text.length, [shape]);
    else sameLength.push(shape);
  }
  return shape;
}
