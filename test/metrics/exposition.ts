/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed scrape: the families' TYPE and HELP, and every sample. */
export interface Exposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;

/**
 * Parses the Prometheus text exposition format (version 0.0.4) strictly:
 * any line that is not a comment, a TYPE/HELP line or a well-formed sample
 * throws, so a malformed scrape fails the test rather than parsing partly.
 */
export function parseExposition(text: string): Exposition {
  const out: Exposition = { types: new Map(), help: new Map(), samples: [] };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (TYPE|HELP) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      (meta[1] === "TYPE" ? out.types : out.help).set(meta[2] as string, meta[3] as string);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? "";
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < body.length) {
      const l = LABEL.exec(body);
      if (l === null) throw new Error(`bad labels in: ${line}`);
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    // Prometheus reads values with Go's strconv.ParseFloat: NaN and Inf in any case (prom-client writes "Nan").
    const raw = m[3] as string;
    const special = /^(?:([+-]?)(inf|infinity)|nan)$/i.exec(raw);
    const value = special === null ? Number(raw) : special[2] === undefined ? Number.NaN : special[1] === "-" ? -Infinity : Infinity;
    if (Number.isNaN(value) && special === null) throw new Error(`bad value in: ${line}`);
    out.samples.push({ name: m[1] as string, labels, value });
  }
  return out;
}

/** The value of the one sample named `name` whose labels include `labels`; 0 when there is none yet. */
export function valueOf(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}
