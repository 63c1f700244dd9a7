/**
 * Command-line options every subcommand shares, and the usage error they
 * raise, so each subcommand parses only what is its own.
 */
import { writeFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A bad command line: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Options of every subcommand. */
export const COMMON_OPTIONS = {
  json: { type: "string" },
  html: { type: "string" },
  smoke: { type: "boolean" },
  "no-progress": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

/** The shared options, parsed. */
export interface CommonOptions {
  json: string | undefined;
  html: string | undefined;
  smoke: boolean;
  progress: boolean;
  help: boolean;
}

/** Parses `argv` with the shared options plus `own`; unknown flags are a usage error. */
export function parse(
  argv: string[],
  own: NonNullable<ParseArgsConfig["options"]>,
): { values: Record<string, string | boolean | undefined>; positionals: string[]; common: CommonOptions } {
  try {
    const parsed = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...own }, strict: true, allowPositionals: true });
    const values = parsed.values as Record<string, string | boolean | undefined>;
    const positionals = parsed.positionals;
    const common: CommonOptions = {
      json: values.json as string | undefined,
      html: values.html as string | undefined,
      smoke: values.smoke === true,
      progress: values["no-progress"] !== true,
      help: values.help === true,
    };
    return { values, positionals, common };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** A number option: undefined when absent, a usage error when not a number in [min, max]. */
export function numberOption(value: unknown, name: string, min: number, max = Number.POSITIVE_INFINITY): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number from ${min}${Number.isFinite(max) ? ` to ${max}` : ""}`);
  }
  return n;
}

/** An integer option, as {@link numberOption}. */
export function intOption(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const n = numberOption(value, name, min, max);
  if (n !== undefined && !Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number`);
  return n;
}

/** Writes a report as pretty JSON (undefined fields dropped, as JSON does). */
export function writeJson(file: string, report: unknown): void {
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
