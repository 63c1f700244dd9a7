import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What a `twofold-bench` run printed and returned. */
export interface BenchRun<R> {
  code: number;
  stdout: string;
  stderr: string;
  /** The `--json` report. */
  report: R;
  /** The `--html` report, when asked for. */
  htmlFile: string;
}

/**
 * Runs `twofold-bench <args>` from the sources with its stdout a pipe (not a
 * terminal), writing `--json` and `--html` into a fresh folder.
 */
export function runBench<R>(args: string[], opts: { env?: NodeJS.ProcessEnv; html?: boolean; timeoutMs?: number } = {}): Promise<BenchRun<R>> {
  const dir = mkdtempSync(join(tmpdir(), "twofold-bench-test-"));
  const json = join(dir, "report.json");
  const htmlFile = join(dir, "report.html");
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "bench/cli.ts", ...args, "--json", json, ...(opts.html === false ? [] : ["--html", htmlFile])],
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 150_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
        try {
          resolve({ code, stdout, stderr, report: JSON.parse(readFileSync(json, "utf8")) as R, htmlFile });
        } catch {
          reject(new Error(`twofold-bench ${args.join(" ")} wrote no report (exit ${code}):\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

/** What a progress bar would leave in captured output: carriage returns and the ETA. */
export function hasProgressBar(stdout: string): boolean {
  return stdout.includes("\r") || /ETA \d\d:\d\d/.test(stdout);
}
