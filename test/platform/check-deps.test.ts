import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs scripts/check-deps.ts over a tree of the given files. */
function check(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), "twofold-deps-"));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/check-deps.ts", "--src", dir], { encoding: "utf8" });
  return { status: r.status, out: r.stdout };
}

describe("the dependency check in npm run lint", () => {
  it("passes the project's own src/", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/check-deps.ts"], { encoding: "utf8" });
    expect(r.stdout).toMatch(/0 problems/);
    expect(r.status).toBe(0);
  });

  it("fails on a cycle, an upward import and a reach into another domain folder's files", () => {
    const r = check({
      "domain/a/index.ts": `export { x } from "./x.js";\n`,
      "domain/a/x.ts": `import { y } from "../b/y.js";\nexport const x = y;\n`,
      "domain/b/index.ts": `export { y } from "./y.js";\n`,
      "domain/b/y.ts": `import { x } from "../a/index.js";\nexport const y = 1; void x;\n`,
      "core/c.ts": `import { h } from "../rpc/h.js";\nexport const c = h;\n`,
      "rpc/h.ts": `export const h = 1;\n`,
    });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/module: domain\/a\/x\.ts imports domain\/b\/y\.ts/);
    expect(r.out).toMatch(/layer: core\/c\.ts \(core\) may not import rpc\/h\.ts \(rpc\)/);
    expect(r.out).toMatch(/cycle between files: domain\/a\/index\.ts → domain\/a\/x\.ts → domain\/b\/y\.ts/);
    expect(r.out).toMatch(/cycle between domain folders: domain\/a ⇄ domain\/b/);
  });
});
