import { execFile } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the twofold CLI from source with exactly `env` (plus PATH). */
export async function runTwofoldCli(args: string[], env: Record<string, string | undefined>): Promise<CliOutcome> {
  try {
    const r = await exec("node_modules/.bin/tsx", ["src/cli/main.ts", ...args], { env: { PATH: process.env["PATH"], ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as CliOutcome;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
