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
 * drop) describes again; an error drops the shape, so a statement Postgres
 * had to re-plan ("cached plan must not change result type") describes again
 * on its next run.
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
  bind(config: { portal: string; statement: string; values: unknown[]; binary: boolean | undefined; valueMapper: unknown }): void;
  sync(): void;
  stream: { cork?: () => void; uncork?: () => void };
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
  submit(connection: Connection): Error | null;
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
  /** The connection this execution was sent on. */
  #connection: Connection | undefined;

  constructor(name: string, text: string, values: unknown[], callback: (err: Error | null, result?: pg.QueryResult) => void) {
    // Text alone: pg copies a config object property by property on every query.
    super(text);
    this.name = name;
    this.values = values;
    this.callback = callback;
  }

  override prepare(connection: Connection): void {
    this.#connection = connection;
    const shape = this.hasBeenParsed(connection) ? shapes.get(connection)?.get(this.name) : undefined;
    if (shape === undefined) {
      this.#learning = connection;
      super.prepare(connection);
      return;
    }
    const result = this._result;
    result.fields = shape.fields;
    result._parsers = shape.parsers;
    result._prebuiltEmptyResultObject = shape.empty;
    this._accumulateRows = true;
    try {
      connection.bind({ portal: this.portal, statement: this.name, values: this.values, binary: this.binary, valueMapper: prepareValue });
    } catch (err) {
      // Nothing was written (the values are encoded before Bind is sent): Sync alone ends the query.
      // pg's own prepare also closes the statement here, yet goes on believing it parsed.
      connection.sync();
      this.handleError(err as Error, connection);
      return;
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
    const on = this.#connection ?? connection;
    shapes.get(on)?.delete(this.name);
    super.handleError(err, connection);
  }

  #keep(connection: Connection): void {
    let byName = shapes.get(connection);
    if (byName === undefined) shapes.set(connection, (byName = new Map()));
    const result = this._result;
    byName.set(this.name, { fields: result.fields, parsers: result._parsers, empty: result._prebuiltEmptyResultObject });
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
