import { readFileSync } from "node:fs";
import { relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { SERVICE_NODE_FLAGS } from "../../bench/load/service.js";

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [op = "", ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

/** What `npm run build` (tsc -p tsconfig.build.json) writes, as paths relative to the repository. */
function buildOutputs(): Set<string> {
  const parsed = ts.getParsedCommandLineOfConfigFile("tsconfig.build.json", {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (parsed === undefined) throw new Error("tsconfig.build.json does not parse");
  const out = new Set<string>();
  for (const file of parsed.fileNames) {
    for (const o of ts.getOutputFileNames(parsed, file, false)) out.add(relative(process.cwd(), o));
  }
  return out;
}

describe("the Dockerfile", () => {
  const steps = instructions(readFileSync("Dockerfile", "utf8"));
  const runtime = steps.slice(steps.findLastIndex((s) => s.op === "FROM"));

  it("builds both stages from node:20-bookworm-slim", () => {
    expect(steps.filter((s) => s.op === "FROM").map((s) => s.args.split(" ")[0])).toEqual(["node:20-bookworm-slim", "node:20-bookworm-slim"]);
  });

  it("runs as the non-root node user, set before the command", () => {
    const users = runtime.filter((s) => s.op === "USER").map((s) => s.args);
    expect(users).toEqual(["node"]);
    expect(runtime.findIndex((s) => s.op === "USER")).toBeLessThan(runtime.findIndex((s) => s.op === "CMD"));
  });

  it("starts an entry point the build stage's npm run build writes, with the migrations beside it", () => {
    const cmd = JSON.parse(runtime.find((s) => s.op === "CMD")?.args ?? "[]") as string[];
    expect(cmd).toEqual(["node", "dist/src/cli/main.js", "serve"]);
    expect(buildOutputs().has("dist/src/cli/main.js")).toBe(true);
    expect(runtime.some((s) => s.op === "COPY" && s.args === "--from=build /app/dist ./dist")).toBe(true);
    expect(runtime.some((s) => s.op === "COPY" && s.args.includes("/app/src/store/migrations"))).toBe(true);
  });

  it("runs node with the flags npm start and the benchmark's service use", () => {
    const env = runtime.filter((s) => s.op === "ENV").map((s) => s.args).join(" ");
    expect(/NODE_OPTIONS=(\S+)/.exec(env)?.[1]).toBe(SERVICE_NODE_FLAGS.join(" "));
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts["start"]).toBe(`node ${SERVICE_NODE_FLAGS.join(" ")} dist/src/cli/main.js serve`);
  });

  it("installs only production dependencies in the image, and checks health on the port it listens on", () => {
    expect(runtime.some((s) => s.op === "RUN" && s.args.startsWith("npm ci --omit=dev"))).toBe(true);
    const env = runtime.filter((s) => s.op === "ENV").map((s) => s.args).join(" ");
    const port = /TWOFOLD_ADDR=[^\s:]+:(\d+)/.exec(env)?.[1];
    expect(port).toBe("50051");
    expect(runtime.find((s) => s.op === "HEALTHCHECK")?.args).toContain(`http://127.0.0.1:${port}/grpc.health.v1.Health/Check`);
    expect(runtime.find((s) => s.op === "EXPOSE")?.args).toBe(port);
  });
});
