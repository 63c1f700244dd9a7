import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("bench/core.ts", () => {
  it("runs a short smoke, reports every case and finds the same HMAC count for each", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", "bench/core.ts", "--smoke"], { encoding: "utf8" });
    for (const row of ["matching code", "wrong code", "unknown user", "otplib verifySync"]) expect(out).toContain(row);
    const hmacs = out
      .split("\n")
      .filter((l) => l.startsWith("twofold core"))
      .map((l) => l.trim().split(/\s+/).at(-1));
    expect(hmacs).toEqual(["21", "21", "21"]);
    expect(out).toMatch(/ratio twofold \(wrong code\) \/ otplib: \d+\.\d\d/);
  });
});
