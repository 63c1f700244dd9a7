import { pino, type Logger } from "pino";
import type { Config } from "./config/config.js";

/** Field names that may carry a secret; their values are replaced before a line is written. */
const SECRET_FIELDS = [
  "authorization",
  "password",
  "secret",
  "key",
  "keys",
  "token",
  "apiKey",
  "api_key",
  "pepper",
  "otp",
  "code1",
  "code2",
  "backupCode",
  "backup_code",
];

/**
 * Top level and one level down (`req.authorization`, `request.password`), plus
 * the usual header spots. `code` only where it is an OTP (top level, request
 * bodies, proofs), so `err.code` (ECONNREFUSED, 57P01) stays readable.
 */
export const REDACT_PATHS: string[] = [
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]),
  "headers.authorization",
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  "code",
  "req.code",
  "request.code",
  "body.code",
  "proof.code",
  "*.proof.code",
  "*.otp.code",
];

/** An RPC status name ("ok", "invalid_argument"): lower-case words, never an OTP, backup code or password. */
const STATUS_NAME = /^[a-z]+(?:_[a-z]+)*$/;

/**
 * Replaces a secret-ish value, except the top-level `code` of the per-RPC log
 * line when it is a status name: that line must say how the call ended.
 */
function censor(value: unknown, path: string[]): unknown {
  if (path.length === 1 && path[0] === "code" && typeof value === "string" && STATUS_NAME.test(value)) return value;
  return "[redacted]";
}

/**
 * The service logger: JSON lines on stdout at the configured level,
 * secret-ish fields redacted. A file descriptor is written synchronously
 * unless `buffered`: the server writes two to four lines per login (the rpc
 * lines and audit lines), and a write each was a tenth of its CPU under
 * load, so `twofold serve` gathers lines in memory and writes them
 * 16 KiB at a time, or every 100 ms when fewer come, and before it exits.
 * A process killed outright loses at most those 100 ms of lines; the audit
 * rows themselves are in Postgres.
 */
export function createLogger(
  config: Pick<Config, "logLevel">,
  destination: NodeJS.WritableStream | number = 1,
  buffered = false,
): Logger {
  const logger = pino(
    {
      level: config.logLevel,
      base: { service: "twofold" },
      timestamp: isoTimeField,
      redact: { paths: REDACT_PATHS, censor },
      formatters: { level: (label) => ({ level: label }) },
    },
    typeof destination === "number"
      ? buffered
        ? new LineBatch(pino.destination({ fd: destination, sync: false, maxWrite: 4 * BUFFERED_CHARS }), BUFFERED_CHARS, BUFFERED_MS)
        : pino.destination({ fd: destination, sync: true })
      : destination,
  );
  // Children are made with Object.create, so they see the mark too.
  Object.defineProperty(logger, SERVICE_LAYOUT, { value: true });
  return logger;
}

/**
 * A buffered logger writes once this much has gathered (up to four times it
 * at once, when more came during a write): each write costs the event loop
 * about 25 µs besides its bytes, so at a loaded server's 2 MB/s of lines
 * 4 KiB writes cost it about two and a half times what these do,
 */
const BUFFERED_CHARS = 16 * 1024;
/** or this often when less has. */
const BUFFERED_MS = 100;
/** The longest a flush waits for a write in flight. */
const FLUSH_WAIT_MS = 1000;

type Destination = ReturnType<typeof pino.destination>;

/**
 * A buffered logger's lines, gathered in an array and handed to the
 * destination as one joined string per batch. The destination (pino's
 * sonic-boom) appends each write to a string and measures that string's
 * bytes each time, which flattens it: given line by line, it copied
 * everything gathered so far once per line, about 10 KB a line at 16 KiB
 * batches and a quarter of all a loaded server allocated. Joined here, each
 * line is copied once. The destination writes each batch at once, or after
 * the write in flight. On exit, what is gathered is written synchronously.
 */
class LineBatch {
  #parts: string[] = [];
  #chars = 0;
  #inFlight = false;
  readonly #timer: NodeJS.Timeout;
  /** Writes what is gathered synchronously as the process exits (no event loop is left then). */
  readonly #onExit = (): void => {
    try {
      this.flushSync();
    } catch {
      // The destination is already gone (a closed descriptor): nothing more can be written.
    }
  };

  constructor(
    private readonly sink: Destination,
    private readonly minChars: number,
    periodMs: number,
  ) {
    this.#timer = setInterval(() => this.#drain(), periodMs).unref();
    // The destination writes at once unless a write is in flight, and says "drain" when none is left.
    sink.on("drain", () => (this.#inFlight = false));
    process.on("exit", this.#onExit);
  }

  write(line: string): boolean {
    this.#parts.push(line);
    this.#chars += line.length;
    if (this.#chars >= this.minChars) this.#drain();
    return true;
  }

  /**
   * Calls back once everything written so far is out of the process (the
   * destination's next "drain"), on its error, or after FLUSH_WAIT_MS: a
   * destination that broke (stdout closed: pino then drops every write) says
   * neither, and a shutdown waiting on this must still end.
   */
  flush(cb: (err?: Error) => void): void {
    this.#drain();
    if (!this.#inFlight) {
      cb();
      return;
    }
    let called = false;
    const finish = (err?: Error): void => {
      if (called) return;
      called = true;
      clearTimeout(timer);
      this.sink.off("drain", finish);
      this.sink.off("error", finish);
      cb(err);
    };
    const timer = setTimeout(finish, FLUSH_WAIT_MS);
    this.sink.once("drain", finish);
    this.sink.once("error", finish);
  }

  flushSync(): void {
    this.#drain();
    this.sink.flushSync();
  }

  /** Writes what is gathered, then ends the destination (which closes its file and emits "close"). */
  end(): void {
    this.#drain();
    clearInterval(this.#timer);
    process.off("exit", this.#onExit);
    this.sink.end();
  }

  once(event: "close", listener: () => void): this {
    this.sink.once(event, listener);
    return this;
  }

  #drain(): void {
    if (this.#parts.length === 0) return;
    const text = this.#parts.length === 1 ? (this.#parts[0] as string) : this.#parts.join("");
    this.#parts = [];
    this.#chars = 0;
    this.#inFlight = true;
    this.sink.write(text);
  }
}

/** Marks a logger made by createLogger: its lines have the layout builtLine writes. */
const SERVICE_LAYOUT = Symbol("twofold.serviceLayout");

interface PinoInternals {
  [SERVICE_LAYOUT]?: true;
  [pino.symbols.streamSym]: { write(line: string): unknown };
  [pino.symbols.chindingsSym]: string;
}

/**
 * An info line whose fields the service built itself from typed values: the
 * per-call line and an audit row's line. They
 * hold no secret by construction, so the redaction pass is skipped, and on a
 * logger from createLogger the line is serialised straight into pino's
 * layout (level word, ISO time, bindings, fields, msg). That is a tenth of
 * the cost of logger.info, which matters at two to four lines per login.
 * Other loggers (tests' own) get logger.info.
 */
export function builtLine(logger: Logger, fields: Record<string, unknown>, msg: string): void {
  if (!logger.isLevelEnabled("info")) return;
  const internals = logger as unknown as PinoInternals;
  if (internals[SERVICE_LAYOUT] !== true) {
    logger.info(fields, msg);
    return;
  }
  const body = JSON.stringify(fields);
  const rest = body.length > 2 ? `,${body.slice(1, -1)}` : "";
  internals[pino.symbols.streamSym].write(
    `{"level":"info"${isoTimeField()}${internals[pino.symbols.chindingsSym]}${rest},"msg":${JSON.stringify(msg)}}\n`,
  );
}

let timeMs = Number.NaN;
let timeText = "";

/**
 * pino's `,"time":"<ISO 8601>"` field, formatted once per millisecond: a
 * loaded server writes several lines in each, and the Date formatting was a
 * percent of its busy time.
 */
function isoTimeField(): string {
  const now = Date.now();
  if (now !== timeMs) {
    timeMs = now;
    timeText = `,"time":"${new Date(now).toISOString()}"`;
  }
  return timeText;
}
