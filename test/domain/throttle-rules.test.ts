import { describe, expect, it } from "vitest";
import { waitAfterFailures } from "../../src/domain/throttle/index.js";

describe("waitAfterFailures", () => {
  it("lets 4 failures pass, then waits 2^(n-5) s, capped at 15 minutes", () => {
    expect([0, 1, 4].map(waitAfterFailures)).toEqual([0, 0, 0]);
    expect([5, 6, 7, 14].map(waitAfterFailures)).toEqual([1000, 2000, 4000, 512_000]);
    expect([15, 16, 1000].map(waitAfterFailures)).toEqual([900_000, 900_000, 900_000]);
  });
});
