import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import * as client from "../../src/client/index.js";

const exec = promisify(execFile);

interface Manifest {
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
}

describe("the package's entry points", () => {
  const manifest = JSON.parse(readFileSync("package.json", "utf8")) as Manifest;

  it("point at committed files: the bins and twofold/client need no build", () => {
    expect(manifest.bin).toEqual({
      twofold: "entry/twofold.mjs",
      "twofold-bench": "entry/twofold-bench.mjs",
      "twofold-emulator": "entry/twofold-emulator.mjs",
    });
    expect(manifest.exports["./client"]).toEqual({ types: "./src/client/index.ts", default: "./entry/client.mjs" });
    for (const file of [...Object.values(manifest.bin), "src/client/index.ts", "entry/client.mjs"]) expect(existsSync(file)).toBe(true);
  });

  it("twofold/client in plain Node exports exactly what src/client/index.ts exports", async () => {
    // A child node with no loader of its own, as a platform service would run it; the package imports itself by name.
    const { stdout } = await exec(process.execPath, ["--input-type=module", "-e", 'console.log(JSON.stringify(Object.keys(await import("twofold/client")).sort()))']);
    expect(JSON.parse(stdout)).toEqual(Object.keys(client).sort());
  });
});
