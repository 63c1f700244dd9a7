import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/** Every file below `dir`, as paths relative to it. */
function filesBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

describe("src/gen", () => {
  const out = mkdtempSync(join(tmpdir(), "twofold-gen-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("is exactly what buf generate makes from proto/ (regenerate with npm run generate)", () => {
    execFileSync("npx", ["buf", "generate", "--output", out], { stdio: "pipe" });
    const fresh = join(out, "src/gen");
    expect(filesBelow("src/gen")).toEqual(filesBelow(fresh));
    for (const file of filesBelow(fresh)) {
      expect(readFileSync(join("src/gen", file), "utf8"), file).toBe(readFileSync(join(fresh, file), "utf8"));
    }
  });
});
