import type { RunReport } from "./types.js";

/** XML 1.0 text and attribute escaping; characters XML cannot carry at all are dropped. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * The JUnit XML report CI systems read (GitLab, Jenkins, GitHub test
 * reporters): one `testsuite` named twofold-emulator, one `testcase` per
 * scenario with a `failure` element when it failed.
 */
export function junitReport(report: RunReport): string {
  const failures = report.results.filter((r) => r.status === "failed").length;
  const total = report.results.reduce((sum, r) => sum + r.durationMs, 0);
  const cases = report.results.map((r) => {
    const open = `  <testcase classname="scenario" name="${xmlEscape(r.name)}" time="${seconds(r.durationMs)}"`;
    if (r.status === "passed") return `${open}/>`;
    const message = xmlEscape(r.error ?? "failed");
    return `${open}>\n    <failure message="${message}">${message}</failure>\n  </testcase>`;
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuite name="twofold-emulator" tests="${report.results.length}" failures="${failures}" errors="0" time="${seconds(total)}" timestamp="${xmlEscape(report.startedAt)}" hostname="${xmlEscape(report.target)}">`,
    ...cases,
    `</testsuite>`,
    "",
  ].join("\n");
}
