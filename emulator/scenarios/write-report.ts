import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { jsonReport } from "./report-json.js";
import { junitReport } from "./report-junit.js";
import type { RunReport } from "./types.js";

/** The report formats, chosen by the file's extension. */
export type ReportFormat = "json" | "junit";

/** `.json` → JSON, `.xml` → JUnit XML; anything else is a usage error (undefined). */
export function reportFormatOf(path: string): ReportFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".xml") return "junit";
  return undefined;
}

/** Writes the run's report to `path` in the format its extension names. */
export async function writeReport(path: string, report: RunReport): Promise<void> {
  const format = reportFormatOf(path);
  if (format === undefined) throw new TypeError(`report file must end in .json or .xml: ${path}`);
  await writeFile(path, format === "json" ? jsonReport(report) : junitReport(report), "utf8");
}
