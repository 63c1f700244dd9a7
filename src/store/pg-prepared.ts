/**
 * A named statement that asks for its row description once per connection.
 *
 * pg's Query sends Parse once per connection for a named statement, but a
 * Describe on every execution, so every run gets a RowDescription back and
 * rebuilds its field parsers from it: for the login path's wide rows (40-odd
 * columns) that was about 6 % of the server's CPU (parsing the message,
 * `Result.addFields`, copying the query config), and Postgres builds the
 * description each time. A named statement's text never changes, so neither
 * do its columns: this query keeps what the first execution on a connection
 * learnt (fields, parsers, the empty row) and later executions send Bind,
 * Execute and Sync only.
 *
 * The shape is kept per pg connection object, so a new connection (after a
 * drop) describes again, and an error drops it. A prepared statement's result
 * type cannot change under it: Postgres refuses to run one whose tables
 * changed shape ("cached plan must not change result type", 0A000) rather
 * than answer with other columns; pg.ts discards a connection on which a
 * named statement fails that way, or is missing (26000), so the next one
 * parses afresh.
 */
import { createRequire } from "node:module";
import pg from "pg";

interface FieldDescription {
  name: string;
  dataTypeID: number;
  format: string;
}

type Parser = (value: string) => unknown;

/** What one execution learns about its statement's rows. */
interface Shape {
  fields: FieldDescription[];
  parsers: Parser[] | undefined;
  empty: Record<string, null> | null;
}

/** The parts of pg's Connection this query drives (pg keeps them public but untyped). */
interface Connection {
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(config: { text: string; name: string }): void;
  describe(config: { type: "P"; name: string }): void;
  bind(config: { portal: string; statement: string; values: unknown[]; binary: boolean | undefined; valueMapper: unknown }): void;
  sync(): void;
}

/** The parts of pg's Result that hold what a RowDescription sets. */
interface ResultState {
  fields: FieldDescription[];
  _parsers: Parser[] | undefined;
  _prebuiltEmptyResultObject: Record<string, null> | null;
}

/** pg's Query as this subclass sees it: its documented surface plus the internals it overrides. */
interface QueryInternals {
  name: string;
  text: string;
  values: unknown[];
  portal: string;
  binary: boolean | undefined;
  callback: ((err: Error | null, result?: pg.QueryResult) => void) | undefined;
  _result: ResultState;
  _accumulateRows: boolean;
  prepare(connection: Connection): void;
  hasBeenParsed(connection: Connection): boolean;
  handleRowDescription(msg: { fields: FieldDescription[] }): void;
  handleCommandComplete(msg: unknown, connection: Connection): void;
  handleError(err: Error, connection: Connection): void;
  _getRows(connection: Connection, rows: number | undefined): void;
}

const BaseQuery = pg.Query as unknown as new (text: string) => QueryInternals;
const { prepareValue } = createRequire(import.meta.url)("pg/lib/utils.js") as { prepareValue: unknown };

const shapes = new WeakMap<Connection, Map<string, Shape>>();

class PreparedQuery extends BaseQuery {
  /** The connection this execution describes on (first run there), else undefined. */
  #learning: Connection | undefined;
  #sawRows = false;

  constructor(name: string, text: string, values: unknown[], callback: (err: Error | null, result?: pg.QueryResult) => void) {
    // Text alone: pg copies a config object property by property on every query.
    super(text);
    this.name = name;
    this.values = values;
    this.callback = callback;
  }

  override prepare(connection: Connection): void {
    const parsed = this.hasBeenParsed(connection);
    const shape = parsed ? shapes.get(connection)?.get(this.name) : undefined;
    if (!parsed) {
      connection.parse({ text: this.text, name: this.name });
      connection.submittedNamedStatements[this.name] = this.text;
    }
    try {
      connection.bind({ portal: this.portal, statement: this.name, values: this.values, binary: this.binary, valueMapper: prepareValue });
    } catch (err) {
      // Nothing of the Bind was written (the values are encoded first): Sync alone ends the
      // query, and a Parse sent just before still completes, so the statement stays usable.
      // (pg's own prepare sends a Close here yet goes on believing the statement parsed.)
      connection.sync();
      this.handleError(err as Error, connection);
      return;
    }
    if (shape === undefined) {
      this.#learning = connection;
      connection.describe({ type: "P", name: this.portal });
    } else {
      const result = this._result;
      result.fields = shape.fields;
      result._parsers = shape.parsers;
      result._prebuiltEmptyResultObject = shape.empty;
      this._accumulateRows = true;
    }
    this._getRows(connection, undefined);
  }

  override handleRowDescription(msg: { fields: FieldDescription[] }): void {
    super.handleRowDescription(msg);
    this.#sawRows = true;
    if (this.#learning !== undefined) this.#keep(this.#learning);
  }

  override handleCommandComplete(msg: unknown, connection: Connection): void {
    super.handleCommandComplete(msg, connection);
    // Described and no RowDescription came (NoData): the statement returns no rows.
    if (this.#learning !== undefined && !this.#sawRows) this.#keep(this.#learning);
  }

  override handleError(err: Error, connection: Connection): void {
    shapes.get(connection)?.delete(this.name);
    super.handleError(err, connection);
  }

  #keep(connection: Connection): void {
    let byName = shapes.get(connection);
    if (byName === undefined) shapes.set(connection, (byName = new Map()));
    const result = this._result;
    // Shared by every later result of this statement on this connection: frozen, so no caller can change how they decode.
    byName.set(this.name, { fields: Object.freeze(result.fields) as FieldDescription[], parsers: result._parsers, empty: result._prebuiltEmptyResultObject });
    this.#learning = undefined;
  }
}

/** Runs a named statement on `client`, describing its rows only on the first run per connection. */
export function queryPrepared(client: pg.ClientBase, name: string, text: string, values: unknown[]): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const query = new PreparedQuery(name, text, values, (err, result) => (err ? reject(err) : resolve(result as pg.QueryResult)));
    client.query(query as unknown as pg.Submittable);
  });
}
